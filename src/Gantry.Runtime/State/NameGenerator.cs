// Owns: docker-style random container names (adjective_surname).
using System.Security.Cryptography;

namespace Gantry.Runtime.State;

internal static class NameGenerator
{
    private static readonly string[] Left =
    [
        "admiring", "adoring", "affectionate", "agitated", "amazing", "angry", "awesome", "beautiful", "blissful", "bold", "brave",
        "busy", "charming", "clever", "compassionate", "competent", "confident", "cool", "dazzling", "determined", "dreamy", "eager",
        "ecstatic", "elastic", "elated", "elegant", "epic", "exciting", "fervent", "festive", "flamboyant", "focused", "friendly",
        "frosty", "funny", "gallant", "gifted", "goofy", "gracious", "great", "happy", "hardcore", "heuristic", "hopeful", "hungry",
        "infallible", "inspiring", "intelligent", "interesting", "jolly", "jovial", "keen", "kind", "laughing", "loving", "lucid",
        "magical", "modest", "musing", "mystifying", "naughty", "nervous", "nice", "nifty", "nostalgic", "objective", "optimistic",
        "peaceful", "pedantic", "pensive", "practical", "priceless", "quirky", "quizzical", "recursing", "relaxed", "reverent",
        "romantic", "sad", "serene", "sharp", "silly", "sleepy", "stoic", "strange", "stupefied", "suspicious", "sweet", "tender",
        "thirsty", "trusting", "unruffled", "upbeat", "vibrant", "vigilant", "vigorous", "wizardly", "wonderful", "xenodochial",
        "youthful", "zealous", "zen",
    ];

    private static readonly string[] Right =
    [
        "albattani", "allen", "archimedes", "babbage", "banach", "bardeen", "bell", "bhabha", "bohr", "booth", "borg", "brahmagupta",
        "brattain", "burnell", "cannon", "carson", "cerf", "chandrasekhar", "clarke", "curie", "darwin", "davinci", "dijkstra",
        "easley", "einstein", "elion", "engelbart", "euclid", "euler", "faraday", "fermat", "fermi", "feynman", "franklin", "galileo",
        "gauss", "goldberg", "goodall", "hamilton", "hawking", "heisenberg", "hodgkin", "hopper", "hypatia", "jackson", "jennings",
        "johnson", "kalam", "kapitsa", "keller", "kepler", "khorana", "knuth", "kowalevski", "lamarr", "lamport", "leakey",
        "lovelace", "lumiere", "mayer", "mccarthy", "mclean", "meitner", "mendel", "merkle", "morse", "napier", "newton", "nobel",
        "noether", "pare", "pascal", "pasteur", "perlman", "pike", "poincare", "ptolemy", "raman", "ramanujan", "ritchie", "rosalind",
        "sammet", "shannon", "shockley", "sinoussi", "stonebraker", "swanson", "tesla", "thompson", "torvalds", "turing", "varahamihira",
        "villani", "wescoff", "wilbur", "wiles", "williams", "wozniak", "wright", "yalow", "yonath",
    ];

    public static string Generate() => Left[RandomNumberGenerator.GetInt32(Left.Length)] + "_" + Right[RandomNumberGenerator.GetInt32(Right.Length)];
}
