using Recommender.Fuzzing;
using SharpFuzz;

// Usage:
//   dotnet Recommender.Fuzzing.dll <target>            run under AFL++ (afl-fuzz ... -- dotnet Recommender.Fuzzing.dll <target>)
//   dotnet Recommender.Fuzzing.dll <target> <file>...  replay inputs (e.g. a crash AFL found)
// Targets: catalog-line, intent, pin, search-request.
if (args.Length == 0 || !FuzzTargets.All.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"usage: Recommender.Fuzzing <{string.Join("|", FuzzTargets.All.Keys)}> [input files...]");
    return 2;
}

if (args.Length > 1)
{
    foreach (var file in args.Skip(1))
    {
        target(File.ReadAllBytes(file));
        Console.WriteLine($"ok {file}");
    }

    return 0;
}

Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    target(buffer.ToArray());
});
return 0;
