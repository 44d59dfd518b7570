using System.Globalization;
using k8s;
using k8s.Models;
using Streams.Control.Nodes;

namespace Streams.Jrm;

/// <summary>Where and how Kubernetes worker Jobs run (JIRIAF: pods on JRM virtual-kubelet nodes).</summary>
public sealed record KubernetesOptions
{
    /// <summary>The coordinator the worker joins (<c>tcp://HOST:PORT</c>), as pods reach it; unused with <see cref="Node"/>.</summary>
    public string? Join { get; init; }

    /// <summary>
    /// What a pod runs, given its Job's name, when not a worker that joins <see cref="Join"/>: a node pipeline behind a
    /// load balancer (<see cref="NodePipelineCommandLine"/>; its metrics port and its end before the lifetime are set here).
    /// </summary>
    public Func<string, NodeCommandLine>? Node { get; init; }

    /// <summary>The worker image (see deploy/container); its entrypoint is <c>streams</c>.</summary>
    public string Image { get; init; } = "localhost/streams:latest";

    public string Namespace { get; init; } = "default";

    /// <summary>The pipeline's name, a label on every Job, so a restarted coordinator finds its Jobs again.</summary>
    public required string Pipeline { get; init; }

    /// <summary>Cores per worker: the pod's CPU request and the worker's threads.</summary>
    public int Cores { get; init; } = 1;

    /// <summary>JRM node affinity: <c>jiriaf.site</c>.</summary>
    public string Site { get; init; } = "perlmutter";

    /// <summary>JRM node affinity: <c>jiriaf.nodetype</c>.</summary>
    public string NodeType { get; init; } = "cpu";

    /// <summary>
    /// Seconds a worker runs: only JRM nodes with more <c>jiriaf.alivetime</c> left are chosen, and the worker leaves on
    /// its own <see cref="DrainBeforeEndSeconds"/> before this (a JRM kills a deleted pod within 3 s; it never signals).
    /// </summary>
    public int LifetimeSeconds { get; init; } = 3600;

    public int DrainBeforeEndSeconds { get; init; } = 120;

    /// <summary>Seconds before the lifetime's end from which a worker is listed as draining, so its replacement is requested while it works (0: off).</summary>
    public int ReplaceBeforeEndSeconds { get; init; } = 300;

    /// <summary>Kubeconfig file; null: in-cluster configuration when inside a pod, else $KUBECONFIG or ~/.kube/config.</summary>
    public string? Kubeconfig { get; init; }
}

/// <summary>
/// Nodes as Kubernetes Jobs of one worker pod each, placed on JIRIAF JRM nodes (nodeSelector
/// <c>kubernetes.io/role=agent</c>, the <c>virtual-kubelet.io/provider=mock:NoSchedule</c> toleration, affinity on
/// <c>jiriaf.site</c>, <c>jiriaf.nodetype</c> and <c>jiriaf.alivetime</c> Gt the worker's lifetime). Jobs carry the
/// pipeline's label and are listed with one label-selected request, so the API server is the state store. Release with
/// drain asks the worker to leave through the coordinator (DRAIN; the worker exits 0 and its Job completes), because
/// deleting a pod on a JRM node kills it without a signal; otherwise, or when the worker is not connected, the Job is
/// deleted (on an ordinary kubelet the pod gets SIGTERM and the grace period). States: being deleted or asked to leave
/// draining; succeeded gone; failed failed; a ready pod whose worker process the coordinator reports joined (by the
/// Job's name, which the worker takes as its own) ready (without <c>hasWorker</c>, a ready pod; draining from <see cref="KubernetesOptions.ReplaceBeforeEndSeconds"/>
/// before its lifetime ends); else booting.
/// Untested against a live API server (none runs on this project's machines): the requests are unit-tested.
/// </summary>
public sealed class KubernetesProvider : INodeProvider, IDisposable
{
    private const string PipelineLabel = "streams.io/pipeline";
    private const int MetricsPort = 9464; // the worker's metrics endpoint in its pod, as the scrape annotations say
    private readonly KubernetesOptions _o;
    private readonly IKubernetes _client;
    private readonly Func<string, CancellationToken, Task<bool>>? _askToLeave;
    private readonly Func<string, bool>? _hasWorker;
    private readonly TimeProvider _time;
    private readonly HashSet<string> _leaving = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <param name="options">Where workers run.</param>
    /// <param name="client">The API client (<see cref="Connect"/> makes one from a kubeconfig).</param>
    /// <param name="askToLeave">Asks a connected worker, by name, to drain and leave; true when it was asked (the coordinator's <c>AskToLeaveAsync</c>).</param>
    /// <param name="time">The clock the lifetime of a worker is measured on.</param>
    /// <param name="hasWorker">True once a worker process of that name has joined the coordinator (its <c>HasWorker</c>).</param>
    public KubernetesProvider(KubernetesOptions options, IKubernetes client, Func<string, CancellationToken, Task<bool>>? askToLeave = null, TimeProvider? time = null, Func<string, bool>? hasWorker = null)
    {
        _hasWorker = hasWorker;
        _time = time ?? TimeProvider.System;
        _o = options ?? throw new ArgumentNullException(nameof(options));
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _askToLeave = askToLeave;
    }

    /// <summary>A provider with a client from the options' kubeconfig (or in-cluster configuration).</summary>
    public static KubernetesProvider Connect(KubernetesOptions options, Func<string, CancellationToken, Task<bool>>? askToLeave = null, Func<string, bool>? hasWorker = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var config = options.Kubeconfig is { } file ? KubernetesClientConfiguration.BuildConfigFromConfigFile(file)
            : KubernetesClientConfiguration.IsInCluster() ? KubernetesClientConfiguration.InClusterConfig()
            : KubernetesClientConfiguration.BuildDefaultConfig();
        return new KubernetesProvider(options, new Kubernetes(config), askToLeave, hasWorker: hasWorker);
    }

    public string Name => "kubernetes";

    public int CoresPerNode => _o.Cores;

    /// <summary>The label selector of this pipeline's worker Jobs.</summary>
    public string Selector => $"app=streams,component={Component},{PipelineLabel}={Slug(_o.Pipeline)}";

    /// <summary>What the pods are: <c>worker</c> processes or <c>node</c> pipelines.</summary>
    private string Component => _o.Node is null ? "worker" : "node";

    public async Task<string> RequestAsync(CancellationToken cancel = default)
    {
        var name = $"streams-{Component}-{Slug(_o.Pipeline)}-{Guid.NewGuid().ToString("N")[..8]}";
        if (name.Length > 63) name = $"streams-{Component}-{Guid.NewGuid():N}"[..47];
        await _client.BatchV1.CreateNamespacedJobAsync(Job(name), _o.Namespace, cancellationToken: cancel).ConfigureAwait(false);
        return name;
    }

    public async Task ReleaseAsync(string id, bool drain, CancellationToken cancel = default)
    {
        if (drain && _askToLeave is { } ask && await ask(id, cancel).ConfigureAwait(false))
        {
            lock (_gate) _leaving.Add(id); // it finishes its batches and exits 0; the Job completes and is cleaned up by its TTL
            return;
        }

        await _client.BatchV1.DeleteNamespacedJobAsync(id, _o.Namespace, new V1DeleteOptions
        {
            PropagationPolicy = "Background",
            GracePeriodSeconds = drain ? _o.DrainBeforeEndSeconds : 0,
        }, cancellationToken: cancel).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<NodeInfo>> ListAsync(CancellationToken cancel = default)
    {
        var jobs = await _client.BatchV1.ListNamespacedJobAsync(_o.Namespace, labelSelector: Selector, cancellationToken: cancel).ConfigureAwait(false);
        var now = _time.GetUtcNow().UtcDateTime;
        var list = jobs.Items.Select(j =>
        {
            bool leaving;
            lock (_gate) leaving = _leaving.Contains(j.Name());
            var created = j.Metadata.CreationTimestamp ?? now;
            var joined = _hasWorker is not { } has || has(j.Name());
            return new NodeInfo(j.Name(), Map(j, leaving, now, _o, joined), _o.Cores, new DateTimeOffset(DateTime.SpecifyKind(created, DateTimeKind.Utc)));
        }).ToList();
        lock (_gate) _leaving.IntersectWith(list.Where(n => n.State is not (NodeState.Gone or NodeState.Failed)).Select(n => n.Id));
        return list;
    }

    /// <summary>A Job's node state (see the class summary); <paramref name="joined"/>: its worker process joined the coordinator.</summary>
    public static NodeState Map(V1Job job, bool askedToLeave, DateTime now, KubernetesOptions options, bool joined = true)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(options);
        var s = job.Status;
        bool Condition(string type) => s?.Conditions?.Any(c => c.Type == type && c.Status == "True") == true;
        if (s?.Succeeded > 0 || Condition("Complete")) return NodeState.Gone;
        if (s?.Failed > 0 || Condition("Failed")) return NodeState.Failed;
        if (job.Metadata.DeletionTimestamp is not null || askedToLeave) return NodeState.Draining;
        if (s?.Ready > 0 && joined)
        {
            var started = s.StartTime ?? job.Metadata.CreationTimestamp ?? now;
            var replaceAt = options.LifetimeSeconds - options.ReplaceBeforeEndSeconds;
            return options.ReplaceBeforeEndSeconds > 0 && (now - started).TotalSeconds >= replaceAt ? NodeState.Draining : NodeState.Ready;
        }

        return NodeState.Booting;
    }

    /// <summary>The Job one request creates: one worker pod on a JRM node.</summary>
    public V1Job Job(string name)
    {
        var labels = new Dictionary<string, string>
        {
            ["app"] = "streams",
            ["component"] = Component,
            [PipelineLabel] = Slug(_o.Pipeline),
        };
        var cores = _o.Cores.ToString(CultureInfo.InvariantCulture);
        var leaveAfter = Math.Max(1, _o.LifetimeSeconds - _o.DrainBeforeEndSeconds);
        return new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = _o.Namespace, Labels = labels },
            Spec = new V1JobSpec
            {
                Parallelism = 1,
                Completions = 1,
                BackoffLimit = 0, // a worker that fails is a failed node: the controller decides whether to ask again
                TtlSecondsAfterFinished = 600,
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta
                    {
                        Labels = labels,
                        // Prometheus' kubernetes_sd pod role finds workers by these (a pod name is no address outside the cluster).
                        Annotations = new Dictionary<string, string>
                        {
                            ["prometheus.io/scrape"] = "true",
                            ["prometheus.io/port"] = MetricsPort.ToString(CultureInfo.InvariantCulture),
                            ["prometheus.io/path"] = "/metrics",
                        },
                    },
                    Spec = new V1PodSpec
                    {
                        RestartPolicy = "Never",
                        TerminationGracePeriodSeconds = _o.DrainBeforeEndSeconds,
                        NodeSelector = new Dictionary<string, string> { ["kubernetes.io/role"] = "agent" },
                        Tolerations = [new V1Toleration { Key = "virtual-kubelet.io/provider", OperatorProperty = "Equal", Value = "mock", Effect = "NoSchedule" }],
                        Affinity = new V1Affinity
                        {
                            NodeAffinity = new V1NodeAffinity
                            {
                                RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector
                                {
                                    NodeSelectorTerms =
                                    [
                                        new V1NodeSelectorTerm
                                        {
                                            MatchExpressions =
                                            [
                                                new V1NodeSelectorRequirement { Key = "jiriaf.site", OperatorProperty = "In", Values = [_o.Site] },
                                                new V1NodeSelectorRequirement { Key = "jiriaf.nodetype", OperatorProperty = "In", Values = [_o.NodeType] },
                                                new V1NodeSelectorRequirement { Key = "jiriaf.alivetime", OperatorProperty = "Gt", Values = [_o.LifetimeSeconds.ToString(CultureInfo.InvariantCulture)] },
                                            ],
                                        },
                                    ],
                                },
                            },
                        },
                        Containers =
                        [
                            new V1Container
                            {
                                Name = Component,
                                Image = _o.Image,
                                Args = [.. Line(name, leaveAfter).Arguments],
                                Ports = [new V1ContainerPort { Name = "metrics", ContainerPort = MetricsPort }],
                                Resources = new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cores) } },
                            },
                        ],
                    },
                },
            },
        };
    }

    /// <summary>
    /// What pod <paramref name="name"/> runs: it serves its metrics on the annotated port and leaves on its own
    /// <paramref name="leaveAfter"/> seconds in (a worker with <c>--leave-after</c>; a node pipeline with
    /// <c>--duration</c>, then it deregisters and drains), before a JRM node's lifetime ends and kills it unsignalled.
    /// </summary>
    private NodeCommandLine Line(string name, int leaveAfter) => _o.Node?.Invoke(name) switch
    {
        NodePipelineCommandLine node => node with { MetricsListen = $"0.0.0.0:{MetricsPort}", DurationSeconds = leaveAfter },
        { } other => other,
        null => new WorkerCommandLine(_o.Join ?? throw new InvalidOperationException("KubernetesOptions: neither Join nor Node is set"), name, _o.Cores) { LeaveAfterSeconds = leaveAfter, MetricsListen = $"0.0.0.0:{MetricsPort}" },
    };

    public void Dispose() => _client.Dispose();

    /// <summary>A name as a Kubernetes label value and name part: lower case letters, digits and '-', at most 30 characters.</summary>
    private static string Slug(string s)
    {
        var chars = s.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray();
        var slug = new string(chars).Trim('-');
        return slug.Length == 0 ? "pipeline" : slug[..Math.Min(30, slug.Length)].TrimEnd('-');
    }
}
