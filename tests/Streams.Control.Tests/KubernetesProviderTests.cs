using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Streams.Control.Nodes;
using Streams.Jrm;
using Streams.TestKit;

namespace Streams.Control.Tests;

/// <summary>
/// The Kubernetes provider's requests, made by the real KubernetesClient over HTTP to a recording stand-in for the API
/// server (no API server can run on this project's machines; the path is untested against a live cluster).
/// </summary>
public sealed class KubernetesProviderTests : IDisposable
{
    private readonly KubernetesStandIn _api;

    /// <summary>What GET of the Job list returns.</summary>
    private V1JobList _jobs = new() { Items = [] };

    public KubernetesProviderTests() => _api = new KubernetesStandIn((method, _, body) => method switch
    {
        "POST" => (201, body), // the created object, as an API server answers
        "GET" => (200, KubernetesJson.Serialize(_jobs)),
        _ => (200, KubernetesStandIn.Success),
    });

    private static KubernetesOptions Options => new()
    {
        Join = "tcp://streams-coordinator:5555", Pipeline = "CLAS12 distributed", Namespace = "jiriaf", Image = "registry.local/streams:1.0",
        Cores = 16, Site = "perlmutter", NodeType = "cpu", LifetimeSeconds = 3600, DrainBeforeEndSeconds = 120, ReplaceBeforeEndSeconds = 300,
    };

    private KubernetesProvider Provider(Func<string, CancellationToken, Task<bool>>? askToLeave = null, Func<string, bool>? hasWorker = null) =>
        new(Options, new Kubernetes(new KubernetesClientConfiguration { Host = _api.Url }), askToLeave, hasWorker: hasWorker);

    [Fact]
    public async Task A_ready_pod_is_a_ready_node_only_once_the_coordinator_reports_its_worker_joined()
    {
        var joined = false;
        using var p = Provider(hasWorker: name => joined && name == "w1");
        _jobs = new V1JobList { Items = [new V1Job { Metadata = new V1ObjectMeta { Name = "w1" }, Status = new V1JobStatus { Active = 1, Ready = 1, StartTime = DateTime.UtcNow } }] };
        Assert.Equal(NodeState.Booting, Assert.Single(await p.ListAsync()).State); // the pod runs, its worker has not joined
        joined = true;
        Assert.Equal(NodeState.Ready, Assert.Single(await p.ListAsync()).State);
    }

    [Fact]
    public async Task A_request_creates_a_one_pod_job_aimed_at_jrm_nodes()
    {
        using var p = Provider();
        var name = await p.RequestAsync();
        var (method, path, body) = Assert.Single(_api.Requests);
        Assert.Equal("POST", method);
        Assert.Equal("/apis/batch/v1/namespaces/jiriaf/jobs", path);
        Assert.StartsWith("streams-worker-clas12-distributed-", name, StringComparison.Ordinal);

        var job = JsonNode.Parse(body)!;
        Assert.Equal(name, (string?)job["metadata"]!["name"]);
        Assert.Equal("clas12-distributed", (string?)job["metadata"]!["labels"]!["streams.io/pipeline"]);
        Assert.Equal(0, (int?)job["spec"]!["backoffLimit"]);
        var pod = job["spec"]!["template"]!["spec"]!;
        Assert.Equal("Never", (string?)pod["restartPolicy"]);
        Assert.Equal("agent", (string?)pod["nodeSelector"]!["kubernetes.io/role"]);
        var toleration = pod["tolerations"]![0]!;
        Assert.Equal(("virtual-kubelet.io/provider", "mock", "NoSchedule"), ((string?)toleration["key"], (string?)toleration["value"], (string?)toleration["effect"]));
        var terms = pod["affinity"]!["nodeAffinity"]!["requiredDuringSchedulingIgnoredDuringExecution"]!["nodeSelectorTerms"]![0]!["matchExpressions"]!.AsArray()
            .ToDictionary(e => (string)e!["key"]!, e => ((string)e!["operator"]!, (string)e["values"]![0]!));
        Assert.Equal(("In", "perlmutter"), terms["jiriaf.site"]);
        Assert.Equal(("In", "cpu"), terms["jiriaf.nodetype"]);
        Assert.Equal(("Gt", "3600"), terms["jiriaf.alivetime"]);
        var container = pod["containers"]![0]!;
        Assert.Equal("registry.local/streams:1.0", (string?)container["image"]);
        Assert.Equal(["worker", "--join", "tcp://streams-coordinator:5555", "--name", name, "--threads", "16", "--leave-after", "3480", "--metrics-listen", "0.0.0.0:9464"],
            container["args"]!.AsArray().Select(a => (string)a!));
        Assert.Equal("16", (string?)container["resources"]!["requests"]!["cpu"]);
        Assert.Equal("9464", (string?)job["spec"]!["template"]!["metadata"]!["annotations"]!["prometheus.io/port"]);
    }

    [Fact]
    public async Task Behind_a_load_balancer_a_request_creates_a_node_pipeline_job_that_leaves_on_its_own_before_the_lifetime_ends()
    {
        using var p = new KubernetesProvider(Options with { Join = null, Node = name => new NodePipelineCommandLine("/opt/streams/clas12-node.yaml", "ejfat://t@lb:18347/lb/1?data=10.0.0.1:19522", name) },
            new Kubernetes(new KubernetesClientConfiguration { Host = _api.Url }), hasWorker: _ => false);
        var name = await p.RequestAsync();
        Assert.StartsWith("streams-node-clas12-distributed-", name, StringComparison.Ordinal);
        var job = JsonNode.Parse(Assert.Single(_api.Requests).Body)!;
        Assert.Equal("node", (string?)job["metadata"]!["labels"]!["component"]);
        var args = job["spec"]!["template"]!["spec"]!["containers"]![0]!["args"]!.AsArray().Select(a => (string)a!).ToList();
        Assert.Equal(["run", "/opt/streams/clas12-node.yaml", "--lb", "ejfat://t@lb:18347/lb/1?data=10.0.0.1:19522", "--node-name", name, "--metrics-listen", "0.0.0.0:9464"], args[..8]);
        Assert.Equal(["--duration", "3480"], args[^2..]); // it deregisters and drains 120 s before a JRM node's lifetime ends
        Assert.Equal("app=streams,component=node,streams.io/pipeline=clas12-distributed", p.Selector);
    }

    [Fact]
    public async Task One_label_selected_list_maps_job_states()
    {
        var now = DateTime.UtcNow;
        V1Job Job(string name, V1JobStatus status, DateTime? deleting = null) => new()
        {
            Metadata = new V1ObjectMeta { Name = name, CreationTimestamp = now.AddMinutes(-70), DeletionTimestamp = deleting },
            Status = status,
        };
        _jobs = new V1JobList
        {
            Items =
            [
                Job("booting", new V1JobStatus { Active = 1, Ready = 0 }),
                Job("ready", new V1JobStatus { Active = 1, Ready = 1, StartTime = now.AddMinutes(-10) }),
                Job("old", new V1JobStatus { Active = 1, Ready = 1, StartTime = now.AddMinutes(-56) }), // 5 minutes of its hour left
                Job("deleting", new V1JobStatus { Active = 1, Ready = 1, StartTime = now.AddMinutes(-10) }, now),
                Job("done", new V1JobStatus { Succeeded = 1 }),
                Job("failed", new V1JobStatus { Failed = 1 }),
            ],
        };
        using var p = Provider();
        var nodes = (await p.ListAsync()).ToDictionary(n => n.Id, n => n.State);
        var (method, path, _) = Assert.Single(_api.Requests);
        Assert.Equal("GET", method);
        Assert.Contains("labelSelector=" + Uri.EscapeDataString("app=streams,component=worker,streams.io/pipeline=clas12-distributed"), path, StringComparison.Ordinal);
        Assert.Equal(NodeState.Booting, nodes["booting"]);
        Assert.Equal(NodeState.Ready, nodes["ready"]);
        Assert.Equal(NodeState.Draining, nodes["old"]); // within 300 s of its lifetime: replaced ahead of time
        Assert.Equal(NodeState.Draining, nodes["deleting"]);
        Assert.Equal(NodeState.Gone, nodes["done"]);
        Assert.Equal(NodeState.Failed, nodes["failed"]);
        Assert.All((await p.ListAsync()), n => Assert.Equal(16, n.Cores));
    }

    [Fact]
    public async Task Drain_asks_the_worker_to_leave_through_the_coordinator_and_deletes_only_when_it_cannot()
    {
        var asked = new List<string>();
        using var p = Provider((name, _) =>
        {
            asked.Add(name);
            return Task.FromResult(name == "connected");
        });
        await p.ReleaseAsync("connected", drain: true);
        Assert.Empty(_api.Requests); // the worker leaves on its own; its Job completes
        _jobs = new V1JobList { Items = [new V1Job { Metadata = new V1ObjectMeta { Name = "connected" }, Status = new V1JobStatus { Active = 1, Ready = 1 } }] };
        Assert.Equal(NodeState.Draining, Assert.Single((await p.ListAsync())).State);

        await p.ReleaseAsync("still-booting", drain: true);
        await p.ReleaseAsync("stuck", drain: false);
        Assert.Equal(["connected", "still-booting"], asked);
        var deletes = _api.Requests.Where(r => r.Method == "DELETE").ToList();
        Assert.Equal(["/apis/batch/v1/namespaces/jiriaf/jobs/still-booting", "/apis/batch/v1/namespaces/jiriaf/jobs/stuck"], deletes.Select(d => d.Path));
        Assert.Equal(120, (int?)JsonNode.Parse(deletes[0].Body)!["gracePeriodSeconds"]);
        Assert.Equal(0, (int?)JsonNode.Parse(deletes[1].Body)!["gracePeriodSeconds"]);
        Assert.Equal("Background", (string?)JsonNode.Parse(deletes[1].Body)!["propagationPolicy"]);
    }

    public void Dispose() => _api.Dispose();
}
