using System.Globalization;

namespace Recommender.LoadTests;

/// <summary>The load client's command line (<see cref="Usage"/>).</summary>
public sealed class LoadOptions
{
    public int Pins { get; private set; } = 55_000;

    public int Seconds { get; private set; } = 30;

    public int Warmup { get; private set; } = 10;

    /// <summary>Requests in flight. 3: on 2 cores the client then keeps both busy with p50 under 2 ms (4 pushes p50 just
    /// over; docs/ranking.md, "Session 14").</summary>
    public int Concurrency { get; private set; } = 3;

    /// <summary>The targets each measured window is checked against (p50 and p99 latency, throughput).</summary>
    public double GoalP50Ms { get; private set; } = 2;

    public double GoalP99Ms { get; private set; } = 10;

    public double GoalQps { get; private set; } = 1_500;

    /// <summary>The young GC generation's budget per heap that the services' images set (DOTNET_GCgen0size in
    /// deploy/docker/*.Dockerfile; docs/deploy.md, "Runtime settings"). The runtime reads it only at start, so without it in
    /// the environment the client runs itself again with it (<see cref="ImageRuntime"/>). 0: the runtime's own budget.</summary>
    public int Gen0BudgetMb { get; private set; } = 64;

    /// <summary>Whether the framework's precompiled (ReadyToRun) code is used. Off by default, as in the services' images
    /// (DOTNET_ReadyToRun=0; docs/deploy.md, "Runtime settings"): without the variable in the environment the client runs
    /// itself again with it (<see cref="ImageRuntime"/>). On: the runtime's default.</summary>
    public bool ReadyToRun { get; private set; }

    public int Queries { get; private set; } = 2_000;

    public int PageSize { get; private set; } = 20;

    public int Candidates { get; private set; } = 200;

    /// <summary>Ranking:Diversity:Mode; empty = the service default.</summary>
    public string Diversity { get; private set; } = "";

    public string[] Products { get; private set; } = [];

    /// <summary>How Ranking reaches Vector in the in-process host: "inprocess" (as services/Embedded does now) or
    /// "grpc" (loopback gRPC, as before).</summary>
    public string VectorTransport { get; private set; } = "inprocess";

    public string? Target { get; private set; }

    public string? ApiKey { get; private set; }

    /// <summary>Before the load: time each Search stage for this many sequential queries (in-process host only).</summary>
    public int Breakdown { get; private set; }

    /// <summary>Before the load: compare diversity modes on this many synthesized queries (in-process host only).</summary>
    public int DiversityCheck { get; private set; }

    /// <summary>Before the load: recall@200 of the int8 shortlist against exact scans for this many queries.</summary>
    public int Recall { get; private set; }

    /// <summary>Before the load: this many sequential trivial gRPC calls (Vector.GetCollectionInfo over the loopback
    /// HTTP/2 channel) to measure the round trip that every Search pays before any work.</summary>
    public int RpcFloor { get; private set; }

    /// <summary>Measured windows of <see cref="Seconds"/> each, back to back after one warm-up (each printed, then their
    /// median and best).</summary>
    public int Rounds { get; private set; } = 1;

    /// <summary>Time <see cref="HostProbe"/> before and after each measured window (default on): what the machine gave one
    /// thread then, to read a window's numbers against.</summary>
    public bool HostProbe { get; private set; } = true;

    /// <summary>During the measured load: sample allocations by type and print this many top types.</summary>
    public int AllocProfile { get; private set; }

    public const string Usage =
        "usage: Recommender.LoadTests [--pins N] [--seconds S] [--warmup S] [--concurrency C] [--rounds N] [--queries Q] [--page-size P]\n" +
        "  [--candidates K] [--diversity None|Mmr|BrandCap] [--vector-transport inprocess|grpc] [--products F1,F2] [--gen0-budget-mb MB] [--ready-to-run on|off]\n" +
        "  [--goal-p50-ms MS] [--goal-p99-ms MS] [--goal-qps N] [--breakdown N] [--diversity-check N] [--recall N] [--rpc-floor N]\n" +
        "  [--alloc-profile TOP] [--host-probe on|off] [--target URL --api-key KEY]  (docs/ranking.md, \"Load: Search over gRPC at 55,000 pins\")";

    /// <summary>--help or -h was given: print <see cref="Usage"/> and run nothing.</summary>
    public bool Help { get; private set; }

    public static LoadOptions Parse(string[] args)
    {
        var o = new LoadOptions();
        for (var i = 0; i < args.Length; i += 2)
        {
            if (args[i] is "--help" or "-h")
            {
                o.Help = true;
                return o;
            }

            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value.");
            try
            {
                Set(o, args[i], value);
            }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
                throw new ArgumentException($"{args[i]} must be a whole number, got '{value}'.", e);
            }
        }

        return o.Rounds < 1 ? throw new ArgumentException("--rounds must be at least 1.") : o;
    }

    private static void Set(LoadOptions o, string option, string value)
    {
        switch (option)
        {
            case "--pins": o.Pins = Int(value); break;
            case "--seconds": o.Seconds = Int(value); break;
            case "--warmup": o.Warmup = Int(value); break;
            case "--concurrency": o.Concurrency = Int(value); break;
            case "--queries": o.Queries = Int(value); break;
            case "--page-size": o.PageSize = Int(value); break;
            case "--candidates": o.Candidates = Int(value); break;
            case "--diversity": o.Diversity = value; break;
            case "--vector-transport": o.VectorTransport = value is "grpc" or "inprocess" ? value : throw new ArgumentException("--vector-transport is grpc or inprocess."); break;
            case "--products": o.Products = value.Split(',', StringSplitOptions.RemoveEmptyEntries); break;
            case "--target": o.Target = value; break;
            case "--api-key": o.ApiKey = value; break;
            case "--breakdown": o.Breakdown = Int(value); break;
            case "--diversity-check": o.DiversityCheck = Int(value); break;
            case "--recall": o.Recall = Int(value); break;
            case "--rpc-floor": o.RpcFloor = Int(value); break;
            case "--alloc-profile": o.AllocProfile = Int(value); break;
            case "--rounds": o.Rounds = Int(value); break;
            case "--host-probe": o.HostProbe = OnOff(option, value); break;
            case "--goal-p50-ms": o.GoalP50Ms = Positive(option, value); break;
            case "--goal-p99-ms": o.GoalP99Ms = Positive(option, value); break;
            case "--goal-qps": o.GoalQps = Positive(option, value); break;
            case "--ready-to-run": o.ReadyToRun = OnOff(option, value); break;
            case "--gen0-budget-mb": o.Gen0BudgetMb = Int(value) is var mb and <= 4_096 ? mb : throw new ArgumentException("--gen0-budget-mb is at most 4096."); break;
            default: throw new ArgumentException($"Unknown option {option}.");
        }
    }

    private static int Int(string value) => int.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);

    private static double Positive(string option, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d > 0
            ? d
            : throw new ArgumentException($"{option} must be a positive number, got '{value}'.");

    private static bool OnOff(string option, string value) =>
        value is "on" or "off" ? value == "on" : throw new ArgumentException($"{option} is on or off.");
}
