namespace Recommender.ServiceDefaults.Messaging;

/// <summary>
/// A message that can never be handled (missing or malformed fields). Consumers throw it; the bus skips the retries
/// and moves the message to its _error queue with this reason, and the consumer goes on with the next message.
/// </summary>
public sealed class PoisonMessageException(string message) : Exception(message);
