using System.Net.Sockets;
using System.Text;
using FhirBridge.Tests.Cli;

namespace FhirBridge.Tests.Deploy;

/// <summary>
/// Type=notify works: <c>fhirbridge run</c>, started the way systemd starts it, tells the socket in
/// <c>NOTIFY_SOCKET</c> <c>READY=1</c> once it listens.
/// </summary>
public sealed class SystemdNotifyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fhirbridge-notify-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [LinuxFact]
    public async Task Run_UnderSystemdWithNotifySocket_SendsReady()
    {
        var fixture = Path.Combine(Fhirbridge.FixturesDirectory, "hospital-a").Replace("\\", "/", StringComparison.Ordinal);
        var config = Path.Combine(_dir, "appsettings.json");
        File.WriteAllText(config, $$"""
            { "FhirBridge": {
                "Sources": [ { "Name": "hospital-a", "Kind": "Directory", "Path": "{{fixture}}" } ],
                "Registry": { "Kind": "Directory", "Path": "registry" },
                "Storage": { "ConnectionString": "state/state.db" } } }
            """);

        // The socket systemd would create for the unit.
        var socketPath = Path.Combine(_dir, "notify.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(socketPath));

        // The hosting library acts only when its parent process is called "systemd" (or it is PID 1): a shell under
        // that name plays the parent, as systemd is the parent of every service it starts.
        var parent = Path.Combine(_dir, "systemd");
        File.CreateSymbolicLink(parent, "/bin/sh");
        string[] wrapper = [parent, "-c", "\"$@\"; exit $?", "systemd"];

        await using var service = await ServiceProcess.StartUnderAsync(
            wrapper, config, new Dictionary<string, string> { ["FhirBridge__Pseudonymization__Key"] = "notify-key-0123456789abcdef", ["NOTIFY_SOCKET"] = socketPath });

        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var received = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        var message = Encoding.UTF8.GetString(buffer, 0, received);

        Assert.Contains("READY=1", message.Split('\n'));
    }
}
