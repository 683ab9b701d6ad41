// Owns: the progress events a build reports (step started/cached/done/failed, RUN output, messages).
namespace Gantry.Build;

/// <summary>One step as shown to a person: "#3 [build 2/5] RUN npm install".</summary>
public sealed record BuildStepInfo(int Number, string Stage, int Index, int Count, string Text)
{
    public string Title => Stage.Length == 0 ? $"[{Index}/{Count}] {Text}" : $"[{Stage} {Index}/{Count}] {Text}";
}

/// <summary>Receives build events; implementations must be thread-safe (stages build concurrently).</summary>
public interface IBuildProgress
{
    void StepStarted(BuildStepInfo step);

    void StepCached(BuildStepInfo step);

    void StepOutput(BuildStepInfo step, string line);

    void StepDone(BuildStepInfo step, TimeSpan elapsed);

    void StepFailed(BuildStepInfo step, string message);

    /// <summary>A line outside any step ("naming to docker.io/library/app:latest", "writing image sha256:…").</summary>
    void Message(string line);
}

/// <summary>Discards every event.</summary>
public sealed class NullBuildProgress : IBuildProgress
{
    public static NullBuildProgress Instance { get; } = new();

    public void StepStarted(BuildStepInfo step)
    {
    }

    public void StepCached(BuildStepInfo step)
    {
    }

    public void StepOutput(BuildStepInfo step, string line)
    {
    }

    public void StepDone(BuildStepInfo step, TimeSpan elapsed)
    {
    }

    public void StepFailed(BuildStepInfo step, string message)
    {
    }

    public void Message(string line)
    {
    }
}
