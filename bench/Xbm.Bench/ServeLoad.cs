using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Xbm.Cli.Serve;
using Xbm.Configuration;
using Xbm.Data;
using Xbm.Data.Images;
using Xbm.Export;
using Xbm.Inference;
using Xbm.Reporting;
using Xbm.Training;

namespace Xbm.Bench;

/// <summary>
/// Issue 16's load test of `xbm serve` on the loopback: the demo model (small CNN, width 16, d = 64, 28×28 grey;
/// the Fashion-MNIST demo configuration trained for a few iterations: the speed does not depend on the weights),
/// an index of Fashion-MNIST test images (classes 5–9) written as 28×28 PNG files, the service in process on
/// 127.0.0.1 (port 0), and 1, 4 and 16 concurrent clients each sending the next request as soon as the last
/// answered, for a bounded number of requests or time per level. Two requests: POST /api/search with a PNG upload
/// (decode, embed, search, JSON) and GET /api/search/item/{id} (search only). Once on the run (TorchSharp, one
/// request at a time) and once on its ONNX export (ONNX Runtime, concurrent). Prints requests/s and p50/p99 latency.
/// Usage: dotnet run -c Release --project bench/Xbm.Bench -- serve [requests per level] [seconds per level at most] [index size]
/// </summary>
public static class ServeLoad
{
    private static readonly int[] Clients = [1, 4, 16];

    /// <summary>Runs the load test; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        int requests = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2000;
        double seconds = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 20;
        int items = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1000;
        string folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"xbm-serve-bench-{Guid.NewGuid():N}")).FullName;
        try
        {
            return RunIn(folder, requests, seconds, items).GetAwaiter().GetResult();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<int> RunIn(string folder, int requests, double seconds, int items)
    {
        Console.WriteLine($"xbm serve on the loopback: {Environment.ProcessorCount} cores, ≤ {requests} requests or ≤ {seconds} s per level, index of {items} Fashion-MNIST test images");
        var (paths, labels) = WriteImages(Path.Combine(folder, "images"), items);
        string run = Train(Path.Combine(folder, "run"));
        string onnx = Path.Combine(folder, "model.onnx");
        using (var trained = TrainedRun.Open(run, device: "cpu"))
            OnnxExporter.Export(trained.Run.Model, ImagePreprocessing.From(trained.PreprocessLike), onnx);
        var uploads = paths.Take(64).Select(File.ReadAllBytes).ToArray();
        foreach (var (model, name) in new[] { (run, "TorchSharp (run)"), (onnx, "ONNX Runtime (export)") })
        {
            string index = WriteIndex(model, Path.Combine(folder, Path.GetFileNameWithoutExtension(model) + "-index"), paths, labels);
            await using var host = await ServeHost.StartAsync(new ServeOptions { Model = model, Index = index, Port = 0 });
            using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64, UseProxy = false }) { Timeout = TimeSpan.FromSeconds(60) };
            Console.WriteLine();
            Console.WriteLine($"{name}: {host.Address}, {host.Service.Health().Items} items, d = {host.Service.Health().Dimension}");
            Console.WriteLine("| request | clients | requests | requests/s | p50 (ms) | p99 (ms) |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|");
            foreach (var (kind, send) in new (string, Func<int, Task<HttpResponseMessage>>)[]
                     {
                         ("POST /api/search (upload, k=10)", i => client.PostAsync(new Uri(host.Address, "api/search?k=10"), Upload(uploads[i % uploads.Length]))),
                         ("GET /api/search/item/{id} (k=10)", i => client.GetAsync(new Uri(host.Address, $"api/search/item/{i % items}?k=10"))),
                     })
            {
                for (int w = 0; w < 20; w++) // warm-up: JIT, connection pool, first-call allocations
                    (await send(w)).EnsureSuccessStatusCode();
                foreach (int clients in Clients)
                {
                    var (count, elapsed, latencies) = await Load(send, clients, requests, seconds);
                    latencies.Sort();
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {kind} | {clients} | {count} | {count / elapsed.TotalSeconds:0} | {Percentile(latencies, 0.50):0.00} | {Percentile(latencies, 0.99):0.00} |"));
                }
            }
        }
        return 0;
    }

    private static async Task<(int Count, TimeSpan Elapsed, List<double> Latencies)> Load(Func<int, Task<HttpResponseMessage>> send, int clients, int requests, double seconds)
    {
        int next = -1;
        var deadline = Stopwatch.StartNew();
        var perClient = new List<double>[clients];
        async Task Client(int c)
        {
            var mine = perClient[c] = [];
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests && deadline.Elapsed.TotalSeconds < seconds)
            {
                long start = Stopwatch.GetTimestamp();
                using var response = await send(i);
                await response.Content.ReadAsByteArrayAsync();
                if (!response.IsSuccessStatusCode)
                    throw new InvalidOperationException($"request {i}: HTTP {(int)response.StatusCode}");
                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(() => Client(c))));
        var elapsed = deadline.Elapsed;
        var all = perClient.SelectMany(l => l).ToList();
        return (all.Count, elapsed, all);
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static MultipartFormDataContent Upload(byte[] png)
    {
        var file = new ByteArrayContent(png);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        return new MultipartFormDataContent { { file, UploadReader.Field, "query.png" } };
    }

    /// <summary>The first <paramref name="count"/> test-file images of classes 5–9 as 28×28 PNG files.</summary>
    private static (List<string> Paths, List<long> Labels) WriteImages(string folder, int count)
    {
        Directory.CreateDirectory(folder);
        var data = FashionMnist.Read(FashionMnist.DefaultRoot);
        const int plane = FashionMnist.Side * FashionMnist.Side;
        var paths = new List<string>();
        var labels = new List<long>();
        for (int i = data.TrainFileCount; i < data.Count && paths.Count < count; i++)
        {
            if (data.Labels[i] < 5)
                continue;
            var pixels = new byte[plane * 3];
            for (int p = 0; p < plane; p++)
                pixels.AsSpan(3 * p, 3).Fill(data.Images[i * plane + p]);
            string path = Path.Combine(folder, $"{i:D5}.png");
            File.WriteAllBytes(path, ImageDecoder.EncodePng(new RgbImage(FashionMnist.Side, FashionMnist.Side, pixels)));
            paths.Add(path);
            labels.Add(data.Labels[i]);
        }
        return (paths, labels);
    }

    /// <summary>The demo configuration (configs/fashion_mnist: small CNN, width 16, d = 64, one thread) for 20 iterations.</summary>
    private static string Train(string folder)
    {
        const string yaml = """
            name: serve_bench
            seed: 0
            iterations: 20
            device: cpu
            threads: 1
            data:
              dataset: fashion_mnist
            model:
              backbone: small_cnn
              dimension: 64
              width: 16
            sampler:
              classes_per_batch: 2
              images_per_class: 8
            loss:
              name: contrastive
            optimizer:
              name: adam
              lr: 3.0e-4
            evaluation:
              every: 0
            checkpoint:
              every: 0
              keep: 1
            logging:
              every: 10
              tensorboard: false
            memory: none
            """;
        using var run = TrainingRun.Create(ConfigLoader.Parse(yaml, "serve_bench.yaml"), folder);
        run.Trainer.Run(resume: false);
        return folder;
    }

    /// <summary>What `xbm embed --images` writes, through the same API.</summary>
    private static string WriteIndex(string model, string folder, List<string> paths, List<long> labels)
    {
        Directory.CreateDirectory(folder);
        using var embedder = ImageEmbedder.Load(model);
        var vectors = embedder.EmbedFiles(paths);
        var names = FashionMnist.ClassNames.Select((n, l) => (n, l)).ToDictionary(p => (long)p.l, p => p.n);
        EmbeddingFiles.For(Path.Combine(folder, "vectors.npy")).Write(vectors, labels, paths,
            new IndexInfo(embedder.Source, embedder.ModelHash, vectors.Dimension, vectors.Count, names));
        return folder;
    }
}
