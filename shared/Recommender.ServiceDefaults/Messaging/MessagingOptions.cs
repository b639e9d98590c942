using System.ComponentModel.DataAnnotations;

namespace Recommender.ServiceDefaults.Messaging;

public enum MessagingTransport
{
    /// <summary>MassTransit's in-memory transport: one process, no broker (the embedded mode).</summary>
    InMemory,

    /// <summary>RabbitMQ: the distributed mode.</summary>
    RabbitMq,
}

/// <summary>Section "Messaging".</summary>
public sealed class MessagingOptions
{
    public const string Section = "Messaging";

    public MessagingTransport Transport { get; set; } = MessagingTransport.InMemory;

    [Required]
    public RabbitMqOptions RabbitMq { get; set; } = new();

    /// <summary>Messages fetched ahead per consumer queue.</summary>
    [Range(1, 10_000)]
    public int PrefetchCount { get; set; } = 32;

    /// <summary>Messages handled at once per consumer queue.</summary>
    [Range(1, 1_000)]
    public int ConcurrentMessageLimit { get; set; } = 8;

    /// <summary>Attempts after the first before a message goes to its _error queue.</summary>
    [Range(0, 20)]
    public int RetryLimit { get; set; } = 5;

    [Range(1, 60_000)]
    public int RetryMinIntervalMs { get; set; } = 100;

    [Range(1, 600_000)]
    public int RetryMaxIntervalMs { get; set; } = 5_000;

    /// <summary>Declare consumer queues as quorum queues (replicated; use on a RabbitMQ cluster).</summary>
    public bool QuorumQueues { get; set; }
}

public sealed class RabbitMqOptions
{
    [Required]
    public string Host { get; set; } = "localhost";

    [Range(1, 65535)]
    public int Port { get; set; } = 5672;

    [Required]
    public string VirtualHost { get; set; } = "/";

    [Required]
    public string Username { get; set; } = "guest";

    /// <summary>Set from a secret (Messaging__RabbitMq__Password); the default only suits a local broker.</summary>
    [Required]
    public string Password { get; set; } = "guest";

    [Range(1, 3600)]
    public int HeartbeatSeconds { get; set; } = 10;
}
