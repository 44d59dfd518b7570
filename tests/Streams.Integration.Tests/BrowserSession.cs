using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace Streams.Integration.Tests;

/// <summary>
/// A real headless Chromium (Debian <c>chromium</c>) driven over W3C WebDriver by Debian's <c>chromium-driver</c>,
/// both installed by deploy/scripts/install-test-deps.sh. Selenium is given both paths, so its Selenium Manager never
/// runs and nothing is downloaded; the driver comes from the same Debian source package as the browser, so their
/// versions always match. A missing browser or driver fails the test with the command that installs them.
/// </summary>
internal sealed class BrowserSession : IDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium", DriverPath = "/usr/bin/chromedriver";

    private readonly ChromeDriverService _service;

    private BrowserSession(ChromeDriverService service, ChromeDriver driver, string profile)
    {
        _service = service;
        Driver = driver;
        Profile = profile;
    }

    public ChromeDriver Driver { get; }

    /// <summary>The browser's private, empty profile folder (removed by <see cref="Dispose"/>).</summary>
    public string Profile { get; }

    /// <summary>Starts the browser with a 1400x900 window and an empty profile under <paramref name="dir"/>.</summary>
    public static BrowserSession Start(TempDir dir)
    {
        ArgumentNullException.ThrowIfNull(dir);
        foreach (var (path, package) in new[] { (ChromiumPath, "chromium"), (DriverPath, "chromium-driver") })
        {
            if (!File.Exists(path))
            {
                Assert.Fail($"{path} is missing: the browser tests need Debian's {package}; install it with deploy/scripts/install-test-deps.sh " +
                            "(or apt-get install chromium chromium-driver)");
            }
        }

        var profile = Directory.CreateTempSubdirectory("streams-chromium-").FullName;
        var options = new ChromeOptions { BinaryLocation = ChromiumPath };
        // Headless, no sandbox (the tests run as root in CI containers), and nothing that phones home.
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--window-size=1400,900", $"--user-data-dir={profile}");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(DriverPath)!, Path.GetFileName(DriverPath));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        try
        {
            var driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
            driver.Manage().Timeouts().PageLoad = TimeSpan.FromSeconds(30);
            return new BrowserSession(service, driver, profile);
        }
        catch
        {
            service.Dispose();
            throw;
        }
    }

    /// <summary>Saves what the browser shows as a PNG file and returns its size in bytes.</summary>
    public long Screenshot(string path)
    {
        Driver.GetScreenshot().SaveAsFile(path);
        return new FileInfo(path).Length;
    }

    /// <summary>
    /// The text of every element matching <paramref name="css"/>, in document order, read in one script (a page that
    /// redraws between two reads cannot leave a stale element in the list).
    /// </summary>
    public IReadOnlyList<string> Texts(string css) =>
        [.. ((IEnumerable<object>)Driver.ExecuteScript("return Array.from(document.querySelectorAll(arguments[0])).map(e => e.textContent || '');", css)!).Select(o => (string)o)];

    /// <summary>Polls <paramref name="condition"/> every 250 ms until it holds or <paramref name="seconds"/> pass.</summary>
    public static async Task<bool> WaitAsync(Func<bool> condition, double seconds)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < until)
        {
            try
            {
                if (condition()) return true;
            }
            catch (StaleElementReferenceException)
            {
                // The page redrew the element between finding and reading it: look again.
            }

            await Task.Delay(250);
        }

        return false;
    }

    public void Dispose()
    {
        try
        {
            Driver.Quit();
        }
        finally
        {
            Driver.Dispose();
            _service.Dispose();
            try
            {
                Directory.Delete(Profile, recursive: true);
            }
            catch (IOException)
            {
                // A crash dump still being written: the temp folder is cleaned later.
            }
        }
    }
}
