using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using k8s;
using k8s.Models;
using Streams.Control.Nodes;
using Streams.Jrm;
using Streams.TestKit;

namespace Streams.Control.Tests.Contracts;

/// <summary>
/// The contract over <see cref="KubernetesProvider"/>, its real client talking HTTP to a stand-in API server that keeps
/// the Jobs it is sent (no API server runs on this project's machines); "joined" is a ready pod whose worker the
/// coordinator can ask to leave.
/// </summary>
public sealed class KubernetesProviderContract : NodeProviderContract
{
    private readonly JobStore _api = new();
    private readonly ConcurrentDictionary<string, bool> _joined = new(StringComparer.Ordinal);
    private readonly KubernetesProvider _provider;

    public KubernetesProviderContract()
    {
        var options = new KubernetesOptions { Join = "tcp://streams-coordinator:5555", Pipeline = "contract", Namespace = "jiriaf", Cores = 4 };
        var client = new Kubernetes(new KubernetesClientConfiguration { Host = $"http://127.0.0.1:{_api.Port}" });
        _provider = new KubernetesProvider(options, client, (name, _) => Task.FromResult(_joined.ContainsKey(name)));
    }

    protected override INodeProvider Provider => _provider;

    protected override Task JoinAsync(string id)
    {
        _api.Update(id, j => j.Status = new V1JobStatus { Active = 1, Ready = 1, StartTime = DateTime.UtcNow });
        _joined[id] = true;
        return Task.CompletedTask;
    }

    protected override Task DieAsync(string id)
    {
        _api.Update(id, j => j.Status = new V1JobStatus { Failed = 1 });
        return Task.CompletedTask;
    }

    protected override Task LeaveAsync(string id)
    {
        _api.Update(id, j => j.Status = new V1JobStatus { Succeeded = 1 });
        return Task.CompletedTask;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _api.Dispose();
    }

    /// <summary>Creates, lists and deletes (marks for deletion) Jobs, as an API server does for one namespace.</summary>
    private sealed class JobStore : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Task _loop;
        private readonly ConcurrentDictionary<string, V1Job> _jobs = new(StringComparer.Ordinal);

        public JobStore()
        {
            Port = Ports.Free(); // the stand-in listens in this process, at once
            _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            _listener.Start();
            _loop = Task.Run(Serve);
        }

        public int Port { get; }

        public void Update(string name, Action<V1Job> change)
        {
            lock (_jobs) change(_jobs[name]);
        }

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
                string reply;
                lock (_jobs)
                {
                    switch (c.Request.HttpMethod)
                    {
                        case "POST":
                            var job = KubernetesJson.Deserialize<V1Job>(body);
                            job.Metadata.CreationTimestamp = DateTime.UtcNow;
                            job.Status = new V1JobStatus { Active = 1, Ready = 0 };
                            _jobs[job.Name()] = job;
                            reply = KubernetesJson.Serialize(job);
                            break;
                        case "DELETE":
                            var name = c.Request.Url!.AbsolutePath.Split('/')[^1];
                            if (_jobs.TryGetValue(name, out var deleted)) deleted.Metadata.DeletionTimestamp = DateTime.UtcNow;
                            reply = """{"kind":"Status","apiVersion":"v1","status":"Success"}""";
                            break;
                        default:
                            reply = KubernetesJson.Serialize(new V1JobList { Items = [.. _jobs.Values] });
                            break;
                    }
                }

                c.Response.StatusCode = c.Request.HttpMethod == "POST" ? 201 : 200;
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
}
