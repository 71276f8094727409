namespace Xbm.Cli.Serve;

/// <summary>A request the service refuses: the HTTP status (4xx), the message and the field it concerns.</summary>
public sealed class ApiError : Exception
{
    /// <summary>Creates the error.</summary>
    public ApiError(int status, string field, string message) : base(message)
    {
        Status = status;
        Field = field;
    }

    /// <summary>The HTTP status code.</summary>
    public int Status { get; }

    /// <summary>The request field, parameter or header at fault ("image", "k", "id", "content-type", "path").</summary>
    public string Field { get; }

    /// <summary>The JSON body: {"error": message, "field": field, "status": status}.</summary>
    public ErrorBody Body => new(Message, Field, Status);

    /// <summary>An unknown item number (404).</summary>
    public static ApiError UnknownItem(string given, int count) =>
        new(404, "id", $"id '{given}': no such item; the index holds items 0 to {count - 1}");
}

/// <summary>The JSON of a refused request.</summary>
/// <param name="Error">What is wrong, naming the field.</param>
/// <param name="Field">The field at fault.</param>
/// <param name="Status">The HTTP status code.</param>
public sealed record ErrorBody(string Error, string Field, int Status);
