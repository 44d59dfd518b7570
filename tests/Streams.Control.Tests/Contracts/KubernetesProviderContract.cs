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
    private readonly Dictionary<string, V1Job> _jobs = new(StringComparer.Ordinal);
    private readonly KubernetesStandIn _api;
    private readonly ConcurrentDictionary<string, bool> _joined = new(StringComparer.Ordinal);
    private readonly KubernetesProvider _provider;

    public KubernetesProviderContract()
    {
        _api = new KubernetesStandIn(Answer);
        var options = new KubernetesOptions { Join = "tcp://streams-coordinator:5555", Pipeline = "contract", Namespace = "jiriaf", Cores = 4 };
        var client = new Kubernetes(new KubernetesClientConfiguration { Host = _api.Url });
        _provider = new KubernetesProvider(options, client, (name, _) => Task.FromResult(_joined.ContainsKey(name)), hasWorker: _joined.ContainsKey);
    }

    protected override INodeProvider Provider => _provider;

    protected override Task JoinAsync(string id)
    {
        Update(id, j => j.Status = new V1JobStatus { Active = 1, Ready = 1, StartTime = DateTime.UtcNow });
        _joined[id] = true;
        return Task.CompletedTask;
    }

    protected override Task DieAsync(string id)
    {
        Update(id, j => j.Status = new V1JobStatus { Failed = 1 });
        return Task.CompletedTask;
    }

    protected override Task LeaveAsync(string id)
    {
        Update(id, j => j.Status = new V1JobStatus { Succeeded = 1 });
        return Task.CompletedTask;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _api.Dispose();
    }

    /// <summary>Creates, lists and deletes (marks for deletion) Jobs, as an API server does for one namespace.</summary>
    private (int Status, string Reply) Answer(string method, string path, string body)
    {
        lock (_jobs)
        {
            switch (method)
            {
                case "POST":
                    var job = KubernetesJson.Deserialize<V1Job>(body);
                    job.Metadata.CreationTimestamp = DateTime.UtcNow;
                    job.Status = new V1JobStatus { Active = 1, Ready = 0 };
                    _jobs[job.Name()] = job;
                    return (201, KubernetesJson.Serialize(job));
                case "DELETE":
                    var name = path.Split('?')[0].Split('/')[^1];
                    if (_jobs.TryGetValue(name, out var deleted)) deleted.Metadata.DeletionTimestamp = DateTime.UtcNow;
                    return (200, KubernetesStandIn.Success);
                default:
                    return (200, KubernetesJson.Serialize(new V1JobList { Items = [.. _jobs.Values] }));
            }
        }
    }

    private void Update(string name, Action<V1Job> change)
    {
        lock (_jobs) change(_jobs[name]);
    }
}
