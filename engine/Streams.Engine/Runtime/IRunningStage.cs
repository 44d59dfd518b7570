namespace Streams.Engine.Runtime;

/// <summary>A processor or sink stage as the pipeline drives it: started, run until its input drains, aborted.</summary>
internal interface IRunningStage : IStage
{
    StageInput Input { get; }

    /// <summary>Starts serving the input.</summary>
    void Start();

    /// <summary>Completes when the input is closed and drained and the stage's outlet is closed.</summary>
    Task RunToCompletionAsync();

    /// <summary>Aborts the stage's sinks without a drain (a second Ctrl+C); nothing for a stage that has none.</summary>
    void AbortSinks();
}
