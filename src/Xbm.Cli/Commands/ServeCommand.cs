using System.CommandLine;
using Spectre.Console;
using Xbm.Cli.Serve;

namespace Xbm.Cli.Commands;

/// <summary>
/// `xbm serve`: a search service over an index written by `xbm embed`, with a web page (<see cref="ServeHost"/>):
/// JSON endpoints to embed an uploaded image, search by image or by index item, thumbnails of the indexed images,
/// and health. Bound to the loopback by default; runs until Ctrl-C or SIGTERM.
/// </summary>
public sealed class ServeCommand : ICliCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var checkpoint = new Option<DirectoryInfo?>("--checkpoint") { Description = "a run folder (its latest checkpoint) or a checkpoint folder" };
        var onnx = new Option<FileInfo?>("--onnx") { Description = "or an ONNX model written by `xbm export` (run on ONNX Runtime)" };
        var index = new Option<string>("--index") { Description = "the index `xbm embed` wrote: its folder (holding vectors.npy) or its vectors .npy file", Required = true };
        var port = new Option<int>("--port") { Description = "TCP port (0: a free one)", DefaultValueFactory = _ => 5080 };
        var host = new Option<string>("--host") { Description = "address to bind (default the loopback only; 0.0.0.0 exposes the service to the network)", DefaultValueFactory = _ => "127.0.0.1" };
        var maxUpload = new Option<double>("--max-upload-mb") { Description = "largest image upload in MB", DefaultValueFactory = _ => 10 };
        var maxPixels = new Option<double>("--max-megapixels") { Description = "largest image in megapixels (width × height from the header, checked before decoding)", DefaultValueFactory = _ => 40 };
        var dataRoot = new Option<DirectoryInfo?>("--data-root") { Description = "dataset folder (overrides the stored data.root of a run)" };
        var set = new Option<string[]>("--set") { Description = "override a stored key of a run, repeatable", DefaultValueFactory = _ => Array.Empty<string>() };
        var device = new Option<string?>("--device") { Description = "cpu, cuda, cuda:N or auto (a run)" };

        var command = new Command("serve", "Serve an embedded index: a search web page and JSON endpoints (embed, search by image or item, thumbnails, health)")
            { checkpoint, onnx, index, port, host, maxUpload, maxPixels, dataRoot, set, device };
        command.SetAction(parse =>
        {
            if ((parse.GetValue(checkpoint) is null) == (parse.GetValue(onnx) is null))
                throw new ArgumentException("give the model with --checkpoint RUN or --onnx MODEL.onnx (one of them)");
            if (parse.GetValue(onnx) is not null)
                foreach (var (option, name) in new (Option, string)[] { (dataRoot, "--data-root"), (set, "--set"), (device, "--device") })
                    if (parse.GetResult(option) is { Implicit: false })
                        throw new ArgumentException($"{name} applies to a run (--checkpoint); an ONNX model carries its preprocessing and runs on the CPU");
            double uploadMb = parse.GetValue(maxUpload), megapixels = parse.GetValue(maxPixels);
            if (!(uploadMb > 0) || uploadMb > 1024)
                throw new ArgumentException($"--max-upload-mb must be above 0 and at most 1024, got {uploadMb}");
            if (!(megapixels > 0) || megapixels > 1000)
                throw new ArgumentException($"--max-megapixels must be above 0 and at most 1000, got {megapixels}");
            var options = new ServeOptions
            {
                Model = parse.GetValue(checkpoint)?.FullName ?? parse.GetValue(onnx)!.FullName,
                Index = parse.GetValue(index)!,
                Host = parse.GetValue(host)!,
                Port = parse.GetValue(port),
                MaxUploadBytes = (long)(uploadMb * 1024 * 1024),
                MaxPixels = (long)(megapixels * 1e6),
                Device = parse.GetValue(device),
                Overrides = EmbedCommand.Overrides(parse.GetValue(set)!, parse.GetValue(dataRoot)),
            };
            options.Validate();
            return Serve(options).GetAwaiter().GetResult();
        });
        return command;
    }

    private static async Task<int> Serve(ServeOptions options)
    {
        Interruption.Describe("stopping the service after the requests in flight");
        await using var host = await ServeHost.StartAsync(options, Interruption.Token);
        var health = host.Service.Health();
        AnsiConsole.MarkupLineInterpolated($"serving {health.Items} items ({health.Dimension} dimensions) of {host.Service.VectorsPath} with {health.Model} on {health.Backend}");
        AnsiConsole.MarkupLineInterpolated($"open {host.Address} (JSON API under {host.Address}api/; Ctrl-C stops)");
        await host.RunUntilAsync(Interruption.Token);
        AnsiConsole.MarkupLine("stopped");
        return 0;
    }
}
