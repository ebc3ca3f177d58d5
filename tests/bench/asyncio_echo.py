# asyncio_echo.py: the echo workloads' Python peer, the asyncio echo
# server of the Python documentation (the Protocol form, asyncio's fastest
# without third-party loops), announcing its port on stderr.
# usage: python3 asyncio_echo.py HOST PORT
import asyncio
import sys


class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)


async def main(host, port):
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Echo, host, port, backlog=4096)
    sockname = server.sockets[0].getsockname()
    print(f"asyncio_echo: listening on {sockname[0]}:{sockname[1]}",
          file=sys.stderr, flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main(sys.argv[1], int(sys.argv[2])))
