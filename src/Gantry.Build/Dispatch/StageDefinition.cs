// Owns: the builder's view of a Dockerfile's stages (over Gantry.Dockerfile's typed model) and stage lookup by name or index.
using Gantry.Dockerfile.Instructions;
using Gantry.Oci;

namespace Gantry.Build.Dispatch;

/// <summary>A stage: <c>FROM base [AS name]</c> and the instructions up to the next FROM.</summary>
public sealed record StageDefinition(int Index, string? Name, string BaseName, string? PlatformFlag, FromInstruction From, IReadOnlyList<Instruction> Body)
{
    /// <summary>The name progress lines show: the AS name, else "stage-N".</summary>
    public string DisplayName => Name ?? $"stage-{Index}";
}

/// <summary>The stages of a Dockerfile plus the ARGs declared before the first FROM.</summary>
public sealed record StagePlan(IReadOnlyList<ArgInstruction> GlobalArgs, IReadOnlyList<StageDefinition> Stages, string FileName)
{
    public static StagePlan From(DockerfileModel model, string fileName)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Stages.Count == 0)
        {
            throw new GantryException($"{fileName} has no FROM instruction: start it with e.g. 'FROM busybox'");
        }

        var stages = model.Stages.Select(s => new StageDefinition(s.Index, s.Name, s.BaseName, s.Platform, s.From, s.Instructions)).ToList();
        return new StagePlan(model.MetaArgs, stages, fileName);
    }

    /// <summary>Finds a stage by name (case-insensitive) or by index, only among stages before <paramref name="before"/>.</summary>
    public StageDefinition? Find(string nameOrIndex, int before)
    {
        ArgumentNullException.ThrowIfNull(nameOrIndex);
        if (int.TryParse(nameOrIndex, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index))
        {
            return index < before && index < Stages.Count ? Stages[index] : null;
        }

        return Stages.Take(before).LastOrDefault(s => string.Equals(s.Name, nameOrIndex, StringComparison.OrdinalIgnoreCase));
    }
}
