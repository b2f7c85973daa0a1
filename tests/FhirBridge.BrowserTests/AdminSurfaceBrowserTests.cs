using Microsoft.Playwright;

namespace FhirBridge.BrowserTests;

/// <summary>
/// The admin surface in a real headless Chromium (Debian's, driven by Playwright): sign in through the form, filter the
/// mapping log, open the unmapped codes and download the ConceptMap skeleton, and see the quality chart drawn. The
/// chart page's screenshot is kept in <see cref="ArtifactsDirectory"/>.
/// </summary>
public sealed class AdminSurfaceBrowserTests(FhirbridgeService service) : IClassFixture<FhirbridgeService>
{
    /// <summary>Debian's Chromium; tests/run-all.sh installs it. Playwright's own browser download is never used.</summary>
    private const string Chromium = "/usr/bin/chromium";

    /// <summary>Where the screenshots go: <c>tests/FhirBridge.BrowserTests/bin/{Configuration}/net10.0/artifacts/</c>.</summary>
    public static string ArtifactsDirectory => Path.Combine(AppContext.BaseDirectory, "artifacts");

    [Fact]
    public async Task Admin_SignsIn_FiltersTheLog_OpensUnmappedCodes_AndSeesTheChart()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install Debian's chromium (tests/run-all.sh does, as root)");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = service.BaseUrl.ToString(), AcceptDownloads = true });

        // The full suite runs the test assemblies side by side on two cores. A page that loads in well under a second
        // alone once missed Playwright's default 30 s there (going to the unmapped codes). The waits are for the page
        // to be there, not a measure of its speed (docs/benchmarks.md measures speed).
        context.SetDefaultTimeout(120_000);
        context.SetDefaultNavigationTimeout(120_000);
        var page = await context.NewPageAsync();

        // Not signed in: the page answers 401 with the sign-in form.
        var first = await page.GotoAsync("/admin/log");
        Assert.Equal(401, first!.Status);
        await page.FillAsync("input[name=password]", FhirbridgeService.Password);
        await page.ClickAsync("#sign-in button[type=submit]");
        try
        {
            await page.WaitForURLAsync("**/admin/log");
        }
        catch (TimeoutException e)
        {
            // Where the page was and what the service logged, so a slow or failed sign-in can be diagnosed from CI's
            // output alone (it timed out once in a full run, beside the other test assemblies).
            var body = await page.TextContentAsync("body") ?? "";
            throw new TimeoutException($"after signing in the page is {page.Url}: {body[..Math.Min(body.Length, 500)]}\nservice log:\n{service.Output}", e);
        }

        Assert.Equal("Mapping log - FhirBridge admin", await page.TitleAsync());

        // Filter the mapping log: excluded decisions whose reason is "planned".
        await page.SelectOptionAsync("select[name=decision]", "excluded");
        await page.FillAsync("input[name=reason]", "planned");
        await page.ClickAsync("#log-filters button[type=submit]");
        await page.WaitForURLAsync("**/admin/log?*decision=excluded*");
        var rows = page.Locator("#log tr.decision-excluded");
        Assert.Equal(3, await rows.CountAsync());
        Assert.StartsWith("1-3 of 3 decisions", await page.TextContentAsync("#log-count"), StringComparison.Ordinal);
        foreach (var cell in await page.Locator("#log tr.decision-excluded td:nth-child(6)").AllTextContentsAsync())
        {
            Assert.Equal("planned", cell);
        }

        // Unmapped codes, most decisions first, and the ConceptMap skeleton's download.
        await page.ClickAsync("header >> text=Unmapped codes");
        await page.WaitForURLAsync("**/admin/unmapped");
        Assert.True(await page.Locator("#unmapped tr").CountAsync() > 1);
        Assert.Equal("E11.9", await page.Locator("#unmapped tr:nth-child(2) td:nth-child(2)").TextContentAsync());
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#download-conceptmap"));
        Assert.Equal("fhirbridge-unmapped-conceptmap.json", download.SuggestedFilename);
        using (var map = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync((await download.PathAsync())!)))
        {
            Assert.Equal("ConceptMap", map.RootElement.GetProperty("resourceType").GetString());
        }

        // The quality chart: an SVG with bars, each with its numbers in a tooltip, and the table beside it.
        await page.ClickAsync("header >> text=Quality chart");
        await page.WaitForURLAsync("**/admin/chart");
        var bars = page.Locator("#chart svg rect.bar");
        Assert.True(await bars.CountAsync() > 10, "the chart has bars");
        var box = await bars.First.BoundingBoxAsync();
        Assert.True(box is { Height: > 0, Width: > 0 }, "the first bar is drawn with a size");
        Assert.Matches(@"^\w+ \d{4}-\d\d: \d+/\d+ = \d+\.\d%", await bars.First.Locator("title").TextContentAsync());
        Assert.True(await page.Locator("#chart-table tr").CountAsync() > 12);

        Directory.CreateDirectory(ArtifactsDirectory);
        var screenshot = Path.Combine(ArtifactsDirectory, "admin-quality-chart.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        Assert.True(new FileInfo(screenshot).Length > 10_000);

        // Sign out: the pages answer 401 again.
        await page.ClickAsync("header form button[type=submit]");
        var after = await page.GotoAsync("/admin");
        Assert.Equal(401, after!.Status);
    }
}
