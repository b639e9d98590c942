using System.Diagnostics;
using DotNet.Testcontainers.Configurations;
using Testcontainers.RabbitMq;

namespace Recommender.SystemTests.Infrastructure;

/// <summary>
/// A real RabbitMQ for tests: a Testcontainers container where a Docker engine is reachable, otherwise a private
/// Debian rabbitmq-server started on free loopback ports (own epmd, own data folder) and stopped by PID.
/// </summary>
public sealed class RabbitMqBroker : IAsyncLifetime
{
    private const string ServerScript = "/usr/lib/rabbitmq/bin/rabbitmq-server";
    private RabbitMqContainer? _container;
    private Process? _server;
    private Process? _epmd;
    private string? _dir;

    public string Host { get; private set; } = "127.0.0.1";

    public int Port { get; private set; }

    public string Username { get; private set; } = "guest";

    public string Password { get; private set; } = "guest";

    public string Mode { get; private set; } = "";

    /// <summary>Environment variables that point a Recommender host at this broker.</summary>
    public Dictionary<string, string> ServiceEnvironment() => new()
    {
        ["Messaging__Transport"] = "RabbitMq",
        ["Messaging__RabbitMq__Host"] = Host,
        ["Messaging__RabbitMq__Port"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Messaging__RabbitMq__Username"] = Username,
        ["Messaging__RabbitMq__Password"] = Password,
    };

    public async ValueTask InitializeAsync()
    {
        if (DockerAvailable())
        {
            _container = new RabbitMqBuilder("rabbitmq:3.13-management").Build();
            await _container.StartAsync();
            var uri = new Uri(_container.GetConnectionString());
            Host = uri.Host;
            Port = uri.Port;
            var credentials = uri.UserInfo.Split(':');
            Username = Uri.UnescapeDataString(credentials[0]);
            Password = Uri.UnescapeDataString(credentials[1]);
            Mode = "testcontainers";
            return;
        }

        if (!File.Exists(ServerScript))
        {
            throw new InvalidOperationException(
                "No Docker engine and no rabbitmq-server: install it (apt-get install -y --no-install-recommends rabbitmq-server) " +
                "or run the tests through tests/run.sh, which does.");
        }

        await StartLocalAsync();
        Mode = "local rabbitmq-server";
    }

    /// <summary>Restarts the broker on the same port and data folder (messages on durable queues survive).</summary>
    public async Task RestartAsync()
    {
        if (_container is not null)
        {
            await _container.StopAsync();
            await _container.StartAsync();
            return;
        }

        await StopLocalAsync();
        await StartLocalAsync(keepData: true);
    }

    /// <summary>Stops the broker (durable queues and their messages stay on disk) until <see cref="StartAgainAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_container is not null)
        {
            await _container.StopAsync();
            return;
        }

        await StopLocalAsync();
    }

    /// <summary>Starts a broker stopped with <see cref="StopAsync"/> on the same port and data folder.</summary>
    public async Task StartAgainAsync()
    {
        if (_container is not null)
        {
            await _container.StartAsync();
            return;
        }

        await StartLocalAsync(keepData: true);
    }

    public async ValueTask DisposeAsync()
    {
        if (_container is not null)
        {
            await _container.DisposeAsync();
        }

        await StopLocalAsync();
        if (_dir is not null)
        {
            try
            {
                Directory.Delete(_dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static bool DockerAvailable()
    {
        try
        {
            return TestcontainersSettings.OS.DockerEndpointAuthConfig is not null;
        }
        catch (Exception)
        {
            return false;
        }
    }

    private int _epmdPort;
    private int _distPort;

    private async Task StartLocalAsync(bool keepData = false)
    {
        if (!keepData || _dir is null)
        {
            Port = FreePort.Next();
            _epmdPort = FreePort.Next();
            _distPort = FreePort.Next();
            _dir = Path.Combine(Path.GetTempPath(), $"recommender-rmq-{Port}-{Environment.ProcessId}");
            if (Directory.Exists(_dir))
            {
                Directory.Delete(_dir, recursive: true);
            }

            foreach (var sub in new[] { "home", "log", "mnesia" })
            {
                Directory.CreateDirectory(Path.Combine(_dir, sub));
            }

            await File.WriteAllTextAsync(Path.Combine(_dir, "rabbitmq-env.conf"), "");
            await File.WriteAllTextAsync(Path.Combine(_dir, "enabled_plugins"), "[].");
            await File.WriteAllTextAsync(Path.Combine(_dir, "rabbitmq.conf"), $"""
                listeners.tcp.1 = 127.0.0.1:{Port}
                loopback_users = none
                vm_memory_high_watermark.relative = 0.2
                disk_free_limit.absolute = 50MB
                log.console = false
                log.file.level = warning
                """);
        }

        var env = BrokerEnvironment();
        _epmd = Start("/usr/bin/epmd", ["-address", "127.0.0.1", "-port", _epmdPort.ToString(System.Globalization.CultureInfo.InvariantCulture)], env);
        var output = Path.Combine(_dir!, "log", "server.out");
        File.Delete(output);
        _server = Start(ServerScript, [], env, output);
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (_server.HasExited)
            {
                throw new InvalidOperationException($"rabbitmq-server exited:\n{await File.ReadAllTextAsync(output)}");
            }

            if (File.Exists(output) && (await ReadShared(output)).Contains("completed with", StringComparison.Ordinal) && FreePort.IsOpen(Port))
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"rabbitmq-server did not start in 60 s:\n{await ReadShared(output)}");
    }

    private static async Task<string> ReadShared(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }

    private Dictionary<string, string> BrokerEnvironment() => new()
    {
        ["HOME"] = Path.Combine(_dir!, "home"),
        ["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(_dir!, "rabbitmq-env.conf"),
        ["RABBITMQ_NODENAME"] = $"rabbit-{Port}@localhost",
        ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
        ["RABBITMQ_NODE_PORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["RABBITMQ_DIST_PORT"] = _distPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["RABBITMQ_MNESIA_BASE"] = Path.Combine(_dir!, "mnesia"),
        ["RABBITMQ_LOG_BASE"] = Path.Combine(_dir!, "log"),
        ["RABBITMQ_PID_FILE"] = Path.Combine(_dir!, "rabbit.pid"),
        ["RABBITMQ_CONFIG_FILE"] = Path.Combine(_dir!, "rabbitmq.conf"),
        ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(_dir!, "enabled_plugins"),
        ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}",
        ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
        ["ERL_EPMD_PORT"] = _epmdPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static Process Start(string file, string[] args, Dictionary<string, string> env, string? outputFile = null)
    {
        var info = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = outputFile is not null,
            RedirectStandardError = outputFile is not null,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (k, v) in env)
        {
            info.Environment[k] = v;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
        if (outputFile is not null)
        {
            var writer = new StreamWriter(new FileStream(outputFile, FileMode.Create, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
            var gate = new object();
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (gate) { writer.WriteLine(e.Data); } } };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (gate) { writer.WriteLine(e.Data); } } };
            process.Exited += (_, _) => { lock (gate) { writer.Dispose(); } };
            process.EnableRaisingEvents = true;
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        return process;
    }

    private async Task StopLocalAsync()
    {
        if (_server is { HasExited: false } server)
        {
            // The wrapper script traps TERM and shuts the Erlang VM down gracefully; kill its children if it lingers.
            Signals.Send(server.Id, Signals.Term);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await server.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
            }

            server.Kill(entireProcessTree: true);
        }

        if (_epmd is { HasExited: false } epmd)
        {
            epmd.Kill(entireProcessTree: true);
            await epmd.WaitForExitAsync();
        }

        _server = null;
        _epmd = null;
    }
}
