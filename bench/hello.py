"""The ceiling: a bare Tornado "hello world", one process, the default asyncio loop.

No framework, no session, no database, no template: what any Tornado app can serve at most.
`python bench/hello.py --port 8102` (127.0.0.1 only); SIGTERM or Ctrl-C stops it.
"""

import argparse
import asyncio
import signal

import tornado.web


class Hello(tornado.web.RequestHandler):
    def get(self) -> None:
        self.write("Hello, World!")


async def main(port: int) -> None:
    app = tornado.web.Application([(r"/", Hello)])
    server = app.listen(port, address="127.0.0.1")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"tornado {tornado.version} hello on 127.0.0.1:{port}", flush=True)
    await stop.wait()
    server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8102)
    asyncio.run(main(parser.parse_args().port))
