using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Xbm.Cli.Serve;

/// <summary>
/// The running search service: Kestrel on <see cref="ServeOptions.Host"/>:<see cref="ServeOptions.Port"/> (port 0:
/// a free one, see <see cref="Address"/>) with the routes of <see cref="ServeEndpoints"/>. Start it with
/// <see cref="StartAsync"/>, stop it by disposing; it owns the model and the index.
/// </summary>
public sealed class ServeHost : IAsyncDisposable
{
    private readonly WebApplication app;
    private int disposed;

    private ServeHost(WebApplication app, SearchService service, Uri address)
    {
        this.app = app;
        Service = service;
        Address = address;
    }

    /// <summary>The bound address, e.g. http://127.0.0.1:5080/.</summary>
    public Uri Address { get; }

    /// <summary>The model and index it answers with.</summary>
    public SearchService Service { get; }

    /// <summary>Loads the model and the index, binds and starts serving. Errors name the file or option.</summary>
    public static async Task<ServeHost> StartAsync(ServeOptions options, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var service = SearchService.Open(options);
        WebApplication? app = null;
        try
        {
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
            builder.Logging.ClearProviders();
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
            // Signals belong to the tool (Interruption), not to the host.
            builder.Services.AddSingleton<IHostLifetime, QuietLifetime>();
            builder.WebHost.UseKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                kestrel.Limits.MaxRequestBodySize = UploadReader.RequestLimit(options);
                kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
                kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(15);
                if (options.Host == "localhost")
                    kestrel.ListenLocalhost(options.Port);
                else
                    kestrel.Listen(IPAddress.Parse(options.Host), options.Port);
            });
            app = builder.Build();
            ServeEndpoints.Map(app, service, options);
            await app.StartAsync(cancel);
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
            string bound = addresses?.FirstOrDefault() ?? throw new InvalidOperationException("Kestrel reports no bound address");
            return new ServeHost(app, service, new Uri(bound.EndsWith('/') ? bound : bound + "/"));
        }
        catch
        {
            if (app is not null)
                await app.DisposeAsync();
            service.Dispose();
            throw;
        }
    }

    /// <summary>Serves until <paramref name="stop"/> is cancelled.</summary>
    public async Task RunUntilAsync(CancellationToken stop)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>Stops accepting requests, finishes the running ones (at most 5 s) and frees the model and index.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
            return;
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
            await app.StopAsync(timeout.Token);
        await app.DisposeAsync();
        Service.Dispose();
    }

    /// <summary>A host lifetime that listens to no signal.</summary>
    private sealed class QuietLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
