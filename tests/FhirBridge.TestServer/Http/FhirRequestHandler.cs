using FhirBridge.TestServer.Auth;
using FhirBridge.TestServer.Export;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Http;

namespace FhirBridge.TestServer.Http;

/// <summary>
/// The one request delegate: classify, inject a fault, authenticate, negotiate, dispatch, log. Errors become
/// OperationOutcomes with their status.
/// </summary>
internal sealed class FhirRequestHandler(ServerContext server)
{
    private static readonly object AbortedKey = new();
    private static readonly object StartedKey = new();
    private static readonly object LoggedKey = new();
    private readonly RestEndpoints _rest = new(server);
    private readonly ExportEndpoints _export = new(server);
    private readonly SmartEndpoints _smart = new(server);

    public async System.Threading.Tasks.Task HandleAsync(HttpContext context)
    {
        var arrived = server.Clock.GetUtcNow();
        var info = RequestClassifier.Classify(context, server);
        Fault? fault = null;

        // Once the answer starts, the client may read it before the request is logged below; the log's readers wait for
        // it (ServerContext.LoggedRequests). An answer that starts only after the handler returned is logged already.
        context.Response.OnStarting(() =>
        {
            if (!context.Items.ContainsKey(LoggedKey))
            {
                context.Items[StartedKey] = true;
                server.AnswerStarted();
            }

            return System.Threading.Tasks.Task.CompletedTask;
        });
        try
        {
            fault = info.IsForeign ? null : server.Faults.TakeEarly(info.Interaction, info.ResourceType, info.RawTarget);
            await RunAsync(context, info, fault);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested || server.Stopping.IsCancellationRequested)
        {
            // The client gave up (a timeout during a slow fault) or the server is stopping: nothing to answer, and no
            // half-made answer either.
            Abort(context);
        }
        finally
        {
            Record(context, info, arrived, fault);
            context.Items[LoggedKey] = true;
            if (context.Items.ContainsKey(StartedKey))
            {
                server.AnswerLogged();
            }
        }
    }

    private async System.Threading.Tasks.Task RunAsync(HttpContext context, RequestInfo info, Fault? fault)
    {
        var response = context.Response;
        switch (fault?.Kind)
        {
            case FaultKind.TooManyRequests:
                response.Headers.RetryAfter = Seconds(fault.RetryAfterSeconds);
                await HttpIo.WriteOutcomeAsync(context, 429, OperationOutcome.IssueType.Throttled, "Injected fault: too many requests.");
                return;
            case FaultKind.ServiceUnavailable:
                if (fault.RetryAfterSeconds is { } retry)
                {
                    response.Headers.RetryAfter = Seconds(retry);
                }

                await HttpIo.WriteOutcomeAsync(context, 503, OperationOutcome.IssueType.Transient, "Injected fault: service unavailable.");
                return;
            case FaultKind.ConnectionReset when !fault.AfterProcessing:
                Abort(context);
                return;
            case FaultKind.Unauthorized:
                response.Headers.WWWAuthenticate = Authenticator.Challenge(server, "The access token expired or was revoked.");
                await HttpIo.WriteOutcomeAsync(context, 401, OperationOutcome.IssueType.Login, "Injected fault: the credentials expired or were revoked.");
                return;
            case FaultKind.Status when !fault.AfterProcessing:
                await HttpIo.WriteOutcomeAsync(context, fault.StatusCode, IssueFor(fault.StatusCode), fault.Diagnostics ?? $"Injected fault: {fault.StatusCode}.");
                return;
            case FaultKind.Slow when !fault.AfterProcessing:
                using (var both = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, server.Stopping))
                {
                    await System.Threading.Tasks.Task.Delay(fault.Delay, both.Token);
                }

                break;
        }

        if (fault is not ({ Kind: FaultKind.MalformedJson } or { AfterProcessing: true }))
        {
            await DispatchAsync(context, info);
            return;
        }

        // Buffer the real answer, then spoil it.
        var body = response.Body;
        using var buffer = new MemoryStream();
        response.Body = buffer;
        try
        {
            await DispatchAsync(context, info);
        }
        finally
        {
            response.Body = body;
        }

        switch (fault.Kind)
        {
            case FaultKind.MalformedJson:
                var bytes = buffer.ToArray();
                var cut = bytes.Length >= 2 ? bytes[..(bytes.Length / 2)] : "{\"resourceType\":"u8.ToArray();
                response.ContentLength = cut.Length;
                response.ContentType ??= HttpIo.FhirJson;
                await body.WriteAsync(cut, context.RequestAborted);
                break;
            case FaultKind.ConnectionReset:
                Abort(context);
                break;
            case FaultKind.Slow:
                // Committed, then silent: a client that times out (or is killed) now never learns the outcome.
                using (var both = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, server.Stopping))
                {
                    await System.Threading.Tasks.Task.Delay(fault.Delay, both.Token);
                }

                response.ContentLength = buffer.Length;
                await body.WriteAsync(buffer.ToArray(), context.RequestAborted);
                break;
            default:
                response.Headers.Clear();
                await HttpIo.WriteOutcomeAsync(context, fault.StatusCode, IssueFor(fault.StatusCode),
                    fault.Diagnostics ?? $"Injected fault: {fault.StatusCode} (after the request was processed).");
                break;
        }
    }

    private async System.Threading.Tasks.Task DispatchAsync(HttpContext context, RequestInfo info)
    {
        try
        {
            if (info.Error is { } error)
            {
                throw error;
            }

            if (!info.IsForeign && info.RequiresAuth && Authenticator.Check(context.Request, server) is { } reason)
            {
                context.Response.Headers.WWWAuthenticate = Authenticator.Challenge(server, reason);
                throw new FhirException(401, OperationOutcome.IssueType.Login, reason);
            }

            if (info.IsFhirJson)
            {
                HttpIo.Negotiate(context.Request);
            }

            await (info.Interaction switch
            {
                FhirInteraction.Capabilities => _rest.CapabilitiesAsync(context),
                FhirInteraction.SmartConfiguration => _smart.ConfigurationAsync(context),
                FhirInteraction.Token => _smart.TokenAsync(context),
                FhirInteraction.Read or FhirInteraction.VRead => _rest.ReadAsync(context, info),
                FhirInteraction.History => _rest.HistoryAsync(context, info),
                FhirInteraction.Create or FhirInteraction.Update or FhirInteraction.Delete => _rest.WriteAsync(context, info),
                FhirInteraction.Search => _rest.SearchAsync(context, info),
                FhirInteraction.SearchPage => _rest.SearchPageAsync(context, info),
                FhirInteraction.Transaction => _rest.TransactionAsync(context),
                FhirInteraction.ExportKickoff => _export.KickoffAsync(context, info),
                FhirInteraction.ExportStatus => _export.StatusAsync(context, info),
                FhirInteraction.ExportCancel => _export.CancelAsync(context, info),
                FhirInteraction.ExportFile => _export.FileAsync(context, info),
                _ => throw FhirException.NotFound($"Nothing is served at {context.Request.Path}."),
            });
        }
        catch (FhirException e) when (!context.Response.HasStarted)
        {
            await HttpIo.WriteOutcomeAsync(context, e.Status, e.IssueType, e.Message);
        }
        catch (Exception e) when (e is not OperationCanceledException && !context.Response.HasStarted)
        {
            await HttpIo.WriteOutcomeAsync(context, 500, OperationOutcome.IssueType.Exception, $"Test server error: {e}");
        }
    }

    /// <summary>Aborts the connection, and remembers it for the log (Kestrel signals the abort later).</summary>
    private static void Abort(HttpContext context)
    {
        context.Items[AbortedKey] = true;
        context.Abort();
    }

    private static string Seconds(int? seconds) => (seconds ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static OperationOutcome.IssueType IssueFor(int status) => status switch
    {
        401 or 403 => OperationOutcome.IssueType.Security,
        404 => OperationOutcome.IssueType.NotFound,
        409 or 412 => OperationOutcome.IssueType.Conflict,
        429 => OperationOutcome.IssueType.Throttled,
        503 => OperationOutcome.IssueType.Transient,
        < 500 => OperationOutcome.IssueType.Invalid,
        _ => OperationOutcome.IssueType.Exception,
    };

    private void Record(HttpContext context, RequestInfo info, DateTimeOffset arrived, Fault? fault)
    {
        var headers = context.Request.Headers;
        var authorization = headers.Authorization.ToString();
        string? Header(string name) => headers.TryGetValue(name, out var value) ? value.ToString() : null;
        server.Requests.Enqueue(new RecordedRequest
        {
            Time = arrived,
            Method = context.Request.Method,
            PathAndQuery = info.RawTarget,
            IsForeignHost = info.IsForeign,
            Interaction = info.Interaction,
            ResourceType = info.ResourceType,
            HasAuthorization = authorization.Length > 0,
            AuthorizationScheme = authorization.Length > 0 ? authorization.Split(' ')[0] : null,
            Accept = Header("Accept"),
            ContentType = Header("Content-Type"),
            Prefer = Header("Prefer"),
            IfMatch = Header("If-Match"),
            IfNoneExist = Header("If-None-Exist"),
            UserAgent = Header("User-Agent"),
            StatusCode = context.Items.ContainsKey(AbortedKey) || context.RequestAborted.IsCancellationRequested ? 0 : context.Response.StatusCode,
            Fault = fault?.Kind,
            Body = context.Items.TryGetValue(HttpIo.BodyKey, out var body) ? (byte[]?)body : null,
        });
    }
}
