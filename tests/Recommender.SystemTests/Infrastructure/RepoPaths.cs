namespace Recommender.SystemTests.Infrastructure;

/// <summary>Where the repository and the built service hosts are.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>Debug or Release, as this test assembly was built.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
            ? "Release" : "Debug";

    public static string HostDll(string projectDir, string assembly) =>
        Path.Combine(Root, projectDir, "bin", Configuration, "net10.0", assembly + ".dll");

    public static string SharedData(params string[] parts) =>
        Path.Combine([Path.GetFullPath(Path.Combine(Root, "..", "shared", "data")), .. parts]);

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Recommender.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Recommender.sln not found above " + AppContext.BaseDirectory);
    }
}
