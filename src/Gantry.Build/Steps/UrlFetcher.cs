// Owns: ADD http(s)://… sources: download to a temp file, verify --checksum, name the file as docker does.
using System.Security.Cryptography;
using Gantry.Oci;

namespace Gantry.Build.Steps;

public static class UrlFetcher
{
    private static readonly HttpClient Client = new() { Timeout = TimeSpan.FromMinutes(10) };

    /// <summary>Downloads <paramref name="url"/> into <paramref name="dir"/>; returns its path, sha256 (hex) and Last-Modified time.</summary>
    public static async Task<UrlDownload> FetchAsync(string url, string? checksum, string dir, string where, CancellationToken cancellationToken)
    {
        var path = System.IO.Path.Combine(dir, "download-" + Guid.NewGuid().ToString("N")[..12]);
        DateTimeOffset? lastModified;
        try
        {
            using var response = await Client.GetAsync(new Uri(url), HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new GantryException($"{where}: downloading {url} failed with HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            lastModified = response.Content.Headers.LastModified;

            var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                var file = File.Create(path);
                await using (file.ConfigureAwait(false))
                {
                    await body.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (HttpRequestException ex)
        {
            throw new GantryException($"{where}: cannot download {url}: {ex.Message}", ex);
        }

        string hash;
        using (var stream = File.OpenRead(path))
        {
            hash = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
        }

        if (checksum is { Length: > 0 })
        {
            if (!Digest.TryParse(checksum, out var expected, out var error))
            {
                throw new GantryException($"{where}: --checksum={checksum} is not a digest ({error})");
            }

            var actual = expected.Algorithm == Digest.Sha256 ? hash : Convert.ToHexStringLower(SHA512.HashData(File.ReadAllBytes(path)));
            if (!string.Equals(actual, expected.Encoded, StringComparison.Ordinal))
            {
                throw new GantryException($"{where}: {url} has digest {expected.Algorithm}:{actual}, but --checksum expects {checksum}");
            }
        }

        return new UrlDownload(url, path, hash, lastModified);
    }

    /// <summary>The file name docker gives a downloaded URL: the last path segment, else "index.html".</summary>
    public static string FileName(string url)
    {
        var uri = new Uri(url);
        var name = System.IO.Path.GetFileName(uri.AbsolutePath);
        return string.IsNullOrEmpty(name) ? "index.html" : Uri.UnescapeDataString(name);
    }
}

/// <summary>One downloaded ADD URL: the temp file, its sha256 (hex) and the server's Last-Modified time (docker uses it as the file's mtime).</summary>
public sealed record UrlDownload(string Url, string Path, string Hash, DateTimeOffset? LastModified);
