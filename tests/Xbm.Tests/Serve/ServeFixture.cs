using Xbm.Cli.Serve;
using Xbm.Configuration;
using Xbm.Data.Images;
using Xbm.Export;
using Xbm.Inference;
using Xbm.Reporting;
using Xbm.Tests.Classification;
using Xbm.Training;

namespace Xbm.Tests.Serve;

/// <summary>The service tests run alone: they train a run (the global generator) and time requests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ServeCollection : ICollectionFixture<ServeFixture>
{
    public const string Name = "serve";
}

/// <summary>
/// A tiny trained run on a folder of real Fashion-MNIST PNG files (classes Trouser, Sneaker, Bag; small CNN, 3
/// iterations), its ONNX export, and two indexes of the 30 test PNGs written as `xbm embed` writes them (one per
/// model), each served in process on 127.0.0.1 with a free port.
/// </summary>
public sealed class ServeFixture : IAsyncLifetime
{
    public string Folder { get; } = TestPaths.NewTemporaryFolder("xbm-serve");

    public string Run { get; private set; } = "";

    public string OnnxModel { get; private set; } = "";

    /// <summary>The index of the run (folder holding vectors.npy).</summary>
    public string TorchIndex { get; private set; } = "";

    /// <summary>The index of the ONNX model.</summary>
    public string OnnxIndex { get; private set; } = "";

    /// <summary>The indexed images, in index order, with their labels.</summary>
    public IReadOnlyList<ImageInput> Items { get; private set; } = [];

    public ServeHost Torch { get; private set; } = null!;

    public ServeHost Onnx { get; private set; } = null!;

    public HttpClient Client { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public static ServeOptions Options(string model, string index) => new() { Model = model, Index = index, Port = 0 };

    public async Task InitializeAsync()
    {
        string root = ClassificationEndToEndTests.WriteFolder(Folder);
        string yaml = $"""
            name: serve
            seed: 3
            iterations: 3
            threads: 1
            device: cpu
            data:
              dataset: folder
              root: {root}
              image_size: 28
              resize: 28
              workers: 1
            model:
              backbone: small_cnn
              width: 4
              dimension: 8
            sampler:
              classes_per_batch: 2
              images_per_class: 2
            loss:
              name: contrastive
            optimizer:
              name: adam
              lr: 1.0e-3
            evaluation:
              every: 0
            checkpoint:
              every: 0
              keep: 1
            logging:
              every: 1
              tensorboard: false
            memory: none
            """;
        Run = Path.Combine(Folder, "run");
        using (var run = TrainingRun.Create(ConfigLoader.Parse(yaml, "serve.yaml"), Run))
            run.Trainer.Run(resume: false);

        var inputs = ImageInputs.Read(Path.Combine(root, "test"));
        Items = inputs.Items;
        var names = inputs.ClassNames.Select((name, label) => (name, label)).ToDictionary(p => (long)p.label, p => p.name);
        OnnxModel = Path.Combine(Folder, "model.onnx");
        using (var trained = TrainedRun.Open(Run, device: "cpu"))
            OnnxExporter.Export(trained.Run.Model, ImagePreprocessing.From(trained.PreprocessLike), OnnxModel);
        TorchIndex = WriteIndex(Run, "torch-index", inputs, names);
        OnnxIndex = WriteIndex(OnnxModel, "onnx-index", inputs, names);
        Torch = await ServeHost.StartAsync(Options(Run, TorchIndex));
        Onnx = await ServeHost.StartAsync(Options(OnnxModel, Path.Combine(OnnxIndex, "vectors.npy")));
    }

    /// <summary>What `xbm embed --images` writes, through the same API.</summary>
    private string WriteIndex(string model, string name, ImageInputs inputs, Dictionary<long, string> names)
    {
        string folder = Directory.CreateDirectory(Path.Combine(Folder, name)).FullName;
        using var embedder = ImageEmbedder.Load(model);
        var paths = inputs.Items.Select(i => i.Path).ToList();
        var vectors = embedder.EmbedFiles(paths);
        EmbeddingFiles.For(Path.Combine(folder, "vectors.npy")).Write(vectors, inputs.Items.Select(i => i.Label).ToList(), paths,
            new IndexInfo(embedder.Source, embedder.ModelHash, vectors.Dimension, vectors.Count, names));
        return folder;
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        if (Torch is not null)
            await Torch.DisposeAsync();
        if (Onnx is not null)
            await Onnx.DisposeAsync();
        Directory.Delete(Folder, recursive: true);
    }
}
