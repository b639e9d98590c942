using System.Net;
using System.Net.Sockets;

namespace Recommender.SystemTests.Infrastructure;

public static class FreePort
{
    private static readonly HashSet<int> Handed = [];

    /// <summary>A loopback port nobody listens on now (and not handed out before by this process).</summary>
    public static int Next()
    {
        lock (Handed)
        {
            while (true)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                if (port < 40000 && Handed.Add(port))
                {
                    return port;
                }
            }
        }
    }

    public static bool IsOpen(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
