// Owns: retrying requests with exponential backoff on 408/429/5xx and connection failures, honouring Retry-After.
using System.Net;
using System.Net.Sockets;

namespace Gantry.Registry.Client.Transport;

/// <summary>
/// The outermost handler. Requests without a body (or with a buffered one) are retried on transient statuses and on
/// connection failures; streamed bodies are not re-sent here (the push engine resumes those itself).
/// </summary>
public sealed class RetryHandler(int maxRetries, TimeSpan baseDelay) : DelegatingHandler
{
    /// <summary>The longest Retry-After this handler waits for; longer ones (rate limits) are returned to the caller.</summary>
    public static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(30);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var resendable = request.Content is null or ByteArrayContent;
        for (var attempt = 0; ; attempt++)
        {
            HttpResponseMessage response;
            try
            {
                response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (resendable && attempt < maxRetries && IsTransient(ex) && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (!resendable || attempt >= maxRetries || !IsTransient(response.StatusCode))
            {
                return response;
            }

            var delay = Backoff(attempt);
            if (response.Headers.RetryAfter is { } ra)
            {
                var wait = ra.Delta ?? (ra.Date is { } date ? date - DateTimeOffset.UtcNow : TimeSpan.Zero);
                if (wait > MaxRetryAfter)
                {
                    return response;
                }

                delay = wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
            }

            response.Dispose();
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
    }

    private TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(baseDelay.TotalMilliseconds * Math.Pow(2, attempt));

    public static bool IsTransient(HttpStatusCode status) => status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests
        or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    /// <summary>Connection resets, refused connections, truncated responses and timeouts (not the caller's cancellation).</summary>
    public static bool IsTransient(Exception ex) => ex switch
    {
        HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.ConfigurationLimitExceeded } => false,
        HttpRequestException { StatusCode: null } => true,
        HttpRequestException => false,
        IOException or SocketException => true,
        TaskCanceledException { InnerException: TimeoutException } => true,
        _ => false,
    };
}
