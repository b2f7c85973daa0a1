using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using FhirBridge.Cli.Web.Admin;

namespace FhirBridge.BrowserTests;

/// <summary>
/// The real <c>fhirbridge run</c> (its own build output, as it ships) over the committed synthetic hospital, listening on
/// a free loopback port (<c>--Urls=http://127.0.0.1:0</c>) with a known admin password and API key. Started once for the
/// tests of a class; ready when its first pull has been recorded.
/// </summary>
public sealed partial class FhirbridgeService : IAsyncLifetime, IDisposable
{
    public const string Password = "browser-test admin password";
    public const string ApiKey = "browser-test-api-key-0123456789abcdef0123";
    private const string PseudonymKey = "test-key-0123456789abcdef";
    private readonly string _dir = Directory.CreateTempSubdirectory("fhirbridge-browser-").FullName;
    private readonly List<string> _output = [];
    private Process? _process;

    public Uri BaseUrl { get; private set; } = null!;

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public async Task InitializeAsync()
    {
        var config = Path.Combine(_dir, "appsettings.json");
        var input = Path.Combine(RepositoryRoot, "samples", "synthetic-hospital").Replace("\\", "/", StringComparison.Ordinal);
        await File.WriteAllTextAsync(config, $$"""
            { "FhirBridge": {
                "Sources": [ { "Name": "synthetic", "Kind": "Directory", "Path": "{{input}}", "TimeZone": "Asia/Shanghai", "Schedule": "0 0 3 * * ?" } ],
                "Registry": { "Kind": "Directory", "Path": "registry-out" },
                "Storage": { "ConnectionString": "state/state.db" } } }
            """);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[]
        {
            Executable(), "run", "--config", config, "--Urls=http://127.0.0.1:0",
            "--FhirBridge:Admin:PasswordHash=" + AdminPassword.Hash(Password, AdminPassword.MinimumIterations),
            "--FhirBridge:Admin:ApiKeys:0=" + ApiKey,
        })
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["FhirBridge__Pseudonymization__Key"] = PseudonymKey;
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        _process = new Process { StartInfo = start };
        void Read(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                return;
            }

            lock (_output)
            {
                _output.Add(e.Data);
            }

            if (Listening().Match(e.Data) is { Success: true } m)
            {
                listening.TrySetResult(new Uri(m.Groups[1].Value));
            }
        }

        _process.OutputDataReceived += Read;
        _process.ErrorDataReceived += Read;
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        BaseUrl = await listening.Task.WaitAsync(TimeSpan.FromMinutes(2)).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : throw new InvalidOperationException("fhirbridge run did not listen: " + Output), TaskScheduler.Default);

        // Ready when the first pull (at start) has been recorded and its subjects are in the projection.
        using var client = ApiClient();
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            using var status = await client.GetFromJsonAsync<JsonDocument>("/admin/api/status");
            var source = status!.RootElement.GetProperty("sources")[0];
            if (source.GetProperty("lastPull").ValueKind != JsonValueKind.Null && source.GetProperty("subjects").GetInt32() > 0)
            {
                break;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the first pull did not finish in 3 minutes: " + Output);
            }

            await Task.Delay(500);
        }
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
    }

    /// <summary>A client with no credentials.</summary>
    public HttpClient Client() => new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = BaseUrl };

    /// <summary>A client sending the API key.</summary>
    public HttpClient ApiClient()
    {
        var client = Client();
        client.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        return client;
    }

    public async Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        Directory.Delete(_dir, recursive: true);
    }

    public void Dispose() => _process?.Dispose();

    private static string Executable()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var path = Path.Combine(RepositoryRoot, "src", "FhirBridge", "bin", output.Parent!.Name, output.Name, "fhirbridge.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("build src/FhirBridge first: " + path);
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FhirBridge.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("FhirBridge.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();
}
