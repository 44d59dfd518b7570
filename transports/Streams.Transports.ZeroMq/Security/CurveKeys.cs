using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using NaCl;
using NetMQ;

namespace Streams.Transports.ZeroMq.Security;

/// <summary>
/// CurveZMQ key files in the ZeroMQ certificate format (czmq zcert, as pyzmq's <c>zmq.auth.create_certificates</c>
/// writes and reads them): <c>NAME.key</c> holds the public key, <c>NAME.key_secret</c> both keys, each Z85-encoded.
/// </summary>
public static partial class CurveKeys
{
    /// <summary>Makes a new key pair and writes <c>DIR/NAME.key</c> and <c>DIR/NAME.key_secret</c> (mode 600).</summary>
    public static (string PublicFile, string SecretFile) Generate(string directory, string name)
    {
        Directory.CreateDirectory(directory);
        var cert = new NetMQCertificate();
        var pub = Path.Combine(directory, name + ".key");
        var sec = Path.Combine(directory, name + ".key_secret");
        File.WriteAllText(pub, Format(cert.PublicKeyZ85, null));
        File.Delete(sec); // created afresh, private from the first byte
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var w = new StreamWriter(sec, System.Text.Encoding.ASCII, options)) w.Write(Format(cert.PublicKeyZ85, cert.SecretKeyZ85));
        return (pub, sec);
    }

    /// <summary>Reads a certificate with its secret key (a <c>.key_secret</c> file).</summary>
    public static NetMQCertificate LoadSecret(string path)
    {
        var (pub, sec) = Parse(path);
        if (sec is null) throw new CurveKeyException($"{path}: no secret-key (pass the .key_secret file)");
        var cert = NetMQCertificate.CreateFromSecretKey(sec);
        if (pub is not null && pub != cert.PublicKeyZ85) throw new CurveKeyException($"{path}: public-key does not belong to secret-key");
        return cert;
    }

    /// <summary>Reads the public key (32 bytes) of a <c>.key</c> or <c>.key_secret</c> file.</summary>
    public static byte[] LoadPublic(string path)
    {
        var (pub, sec) = Parse(path);
        if (pub is not null) return NetMQCertificate.FromPublicKey(pub).PublicKey;
        if (sec is not null) return NetMQCertificate.CreateFromSecretKey(sec).PublicKey;
        throw new CurveKeyException($"{path}: no public-key");
    }

    /// <summary>Public keys allowed to join: every <c>*.key</c> file of a folder, or one file.</summary>
    public static IReadOnlyList<byte[]> LoadAllowed(string path)
    {
        if (Directory.Exists(path))
        {
            var keys = Directory.GetFiles(path, "*.key").Order(StringComparer.Ordinal).Select(LoadPublic).ToList();
            if (keys.Count == 0) throw new CurveKeyException($"{path}: no *.key files (public keys of the workers allowed to join)");
            return keys;
        }

        if (File.Exists(path)) return [LoadPublic(path)];
        throw new CurveKeyException($"{path}: no such file or folder");
    }

    private static string Format(string publicZ85, string? secretZ85)
    {
        var sb = new StringBuilder();
        sb.Append("#   ****  Generated on ").Append(DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture)).Append(" by Streams  ****\n");
        sb.Append("#   ZeroMQ CURVE ").Append(secretZ85 is null ? "Public" : "**Secret**").Append(" Certificate\n");
        sb.Append("#   ").Append(secretZ85 is null ? "Exchange securely, or use a secure mechanism to verify the contents\n" : "DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.\n");
        sb.Append("\nmetadata\ncurve\n");
        sb.Append("    public-key = \"").Append(publicZ85).Append("\"\n");
        if (secretZ85 is not null) sb.Append("    secret-key = \"").Append(secretZ85).Append("\"\n");
        return sb.ToString();
    }

    private static (string? Public, string? Secret) Parse(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (IOException e)
        {
            throw new CurveKeyException($"{path}: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new CurveKeyException($"{path}: {e.Message}");
        }

        string? pub = null, sec = null;
        foreach (Match m in KeyLine().Matches(text))
        {
            var value = m.Groups[2].Value;
            if (value.Length != 40) throw new CurveKeyException($"{path}: {m.Groups[1].Value} is {value.Length} characters; a Z85 CURVE key has 40");
            if (m.Groups[1].Value == "public-key") pub = value;
            else sec = value;
        }

        if (pub is null && sec is null) throw new CurveKeyException($"{path}: not a ZeroMQ certificate (no 'public-key = \"...\"' line)");
        return (pub, sec);
    }

    [GeneratedRegex("^\\s*(public-key|secret-key)\\s*=\\s*\"([^\"]*)\"", RegexOptions.Multiline)]
    private static partial Regex KeyLine();
}

/// <summary>
/// Proves, inside a CURVE-encrypted connection, that a worker holds the secret key of the public key it claims, so
/// that the coordinator can admit only listed workers (NetMQ has no ZAP handler to tell it the client's key).
/// The proof is public key (32) + nonce (24) + box("streams-join-v1", nonce, coordinator public, worker secret).
/// </summary>
public static class JoinProof
{
    private static readonly byte[] Message = "streams-join-v1"u8.ToArray();
    private const int MacSize = 16;

    public static byte[] Create(NetMQCertificate worker, byte[] coordinatorPublic)
    {
        ArgumentNullException.ThrowIfNull(worker);
        var proof = new byte[32 + 24 + Message.Length + MacSize];
        worker.PublicKey.CopyTo(proof, 0);
        var nonce = proof.AsSpan(32, 24);
        RandomNumberGenerator.Fill(nonce);
        using var box = new Curve25519XSalsa20Poly1305(worker.SecretKey, coordinatorPublic);
        box.Encrypt(proof.AsSpan(56), Message, nonce);
        return proof;
    }

    /// <summary>Returns the worker's public key when the proof holds, otherwise null.</summary>
    public static byte[]? Verify(ReadOnlySpan<byte> proof, NetMQCertificate coordinator)
    {
        ArgumentNullException.ThrowIfNull(coordinator);
        if (proof.Length != 32 + 24 + Message.Length + MacSize) return null;
        var claimed = proof[..32].ToArray();
        using var box = new Curve25519XSalsa20Poly1305(coordinator.SecretKey, claimed);
        var plain = new byte[Message.Length];
        if (!box.TryDecrypt(plain, proof[56..], proof.Slice(32, 24))) return null;
        return plain.AsSpan().SequenceEqual(Message) ? claimed : null;
    }
}

/// <summary>A key file that cannot be used.</summary>
public sealed class CurveKeyException : Exception
{
    public CurveKeyException(string message)
        : base(message)
    {
    }

    public CurveKeyException()
    {
    }

    public CurveKeyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
