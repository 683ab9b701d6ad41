// Owns: the xunit collection that runs every tutorial test one after another with one shared TutorialEnvironment.
namespace Gantry.Acceptance.Tests;

/// <summary>One collection: the tests share the mirror and the warm store, and never race for host port 8080.</summary>
[CollectionDefinition(TutorialEnvironment.Collection)]
public sealed class TutorialCollection : ICollectionFixture<TutorialEnvironment>;
