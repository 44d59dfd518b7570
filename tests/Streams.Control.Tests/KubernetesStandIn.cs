using System.Net;
using System.Text;
using Streams.TestKit;

namespace Streams.Control.Tests;

/// <summary>
/// An HTTP stand-in for the Kubernetes API server on loopback, for the real KubernetesClient to talk to (no API server
/// can run on this project's machines): it records every request and answers each through the handler it was given
/// (method, path, body -> status, JSON reply).
/// </summary>
internal sealed class KubernetesStandIn : IDisposable
{
    /// <summary>What an API server answers to a DELETE that succeeded.</summary>
    public const string Success = """{"kind":"Status","apiVersion":"v1","status":"Success"}""";

    private readonly HttpListener _listener = new();
    private readonly Func<string, string, string, (int Status, string Reply)> _answer;
    private readonly Task _loop;

    public KubernetesStandIn(Func<string, string, string, (int Status, string Reply)> answer)
    {
        _answer = answer;
        Port = Ports.Free(); // the stand-in listens in this process, at once
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(Serve);
    }

    public int Port { get; }

    /// <summary>The base URL a client is given.</summary>
    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>Every request so far (lock it to read while requests may still arrive).</summary>
    public List<(string Method, string Path, string Body)> Requests { get; } = [];

    private async Task Serve()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext c;
            try
            {
                c = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            var body = await new StreamReader(c.Request.InputStream).ReadToEndAsync();
            var (method, path) = (c.Request.HttpMethod, c.Request.Url!.PathAndQuery);
            lock (Requests) Requests.Add((method, path, body));
            var (status, reply) = _answer(method, path, body);
            c.Response.StatusCode = status;
            c.Response.ContentType = "application/json";
            var bytes = Encoding.UTF8.GetBytes(reply);
            await c.Response.OutputStream.WriteAsync(bytes);
            c.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}
