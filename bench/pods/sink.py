# Idle-connection server: sends one byte on accept (so a client knows the whole path is
# up), then reads and discards until the peer closes.
import asyncio
import resource

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def hold(reader, writer):
    writer.write(b"k")
    await writer.drain()
    while await reader.read(4096):
        pass
    writer.close()


async def main():
    server = await asyncio.start_server(hold, "0.0.0.0", 7001, backlog=1024)
    await server.serve_forever()


asyncio.run(main())
