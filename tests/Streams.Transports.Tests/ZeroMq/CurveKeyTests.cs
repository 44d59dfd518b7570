using NetMQ;
using Streams.Transports.ZeroMq.Security;

namespace Streams.Transports.Tests.ZeroMq;

public sealed class CurveKeyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("streams-keys-").FullName;

    [Fact]
    public void Generated_key_files_load_back_and_the_secret_file_is_private()
    {
        var (pub, sec) = CurveKeys.Generate(_dir, "coordinator");
        var cert = CurveKeys.LoadSecret(sec);
        Assert.Equal(cert.PublicKey, CurveKeys.LoadPublic(pub));
        Assert.Equal(cert.PublicKey, CurveKeys.LoadPublic(sec));
        Assert.Contains("public-key = \"", File.ReadAllText(pub), StringComparison.Ordinal);
        Assert.DoesNotContain("secret-key", File.ReadAllText(pub), StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(sec));
        Assert.Throws<CurveKeyException>(() => CurveKeys.LoadSecret(pub));
    }

    [Fact]
    public void An_allowed_list_is_every_key_file_of_a_folder()
    {
        var allowed = Path.Combine(_dir, "allowed");
        CurveKeys.Generate(allowed, "w1");
        CurveKeys.Generate(allowed, "w2");
        Assert.Equal(2, CurveKeys.LoadAllowed(allowed).Count);
        Assert.Throws<CurveKeyException>(() => CurveKeys.LoadAllowed(Path.Combine(_dir, "missing")));
    }

    [Fact]
    public void A_file_that_is_not_a_certificate_is_refused_with_its_name()
    {
        var bad = Path.Combine(_dir, "bad.key");
        File.WriteAllText(bad, "public-key = \"tooshort\"\n");
        var e = Assert.Throws<CurveKeyException>(() => CurveKeys.LoadPublic(bad));
        Assert.Contains("bad.key", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_join_proof_names_the_key_that_made_it_and_nothing_else()
    {
        var coordinator = new NetMQCertificate();
        var worker = new NetMQCertificate();
        var proof = JoinProof.Create(worker, coordinator.PublicKey);
        Assert.Equal(worker.PublicKey, JoinProof.Verify(proof, coordinator));

        var forged = (byte[])proof.Clone();
        new NetMQCertificate().PublicKey.CopyTo(forged, 0); // claim someone else's key
        Assert.Null(JoinProof.Verify(forged, coordinator));
        Assert.Null(JoinProof.Verify(proof, new NetMQCertificate())); // made for another coordinator
        var tampered = (byte[])proof.Clone();
        tampered[^1] ^= 1;
        Assert.Null(JoinProof.Verify(tampered, coordinator));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
