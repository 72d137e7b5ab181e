using ActorNet.Persistence;
using Xunit;

namespace ActorNet.Tests.Persistence;

public sealed class DatabaseTests
{
    [Fact]
    public void A_database_whose_folder_cannot_be_created_is_one_error_naming_the_file_and_the_folder()
    {
        // /proc takes no new folders, even for root.
        var e = Assert.Throws<DatabaseException>(() => Database.Parse("/proc/actornet-no-such/runs.db").PrepareForWriting());
        Assert.StartsWith("database /proc/actornet-no-such/runs.db: cannot create its folder /proc/actornet-no-such: ", e.Message);
    }
}
