"""A Qdrant REST endpoint for the MemOS start-up test, backed by qdrant-client's embedded local mode.

Why a shim: MemOS's server cannot use Qdrant's embedded mode through its environment.
`APIConfig.get_neo4j_community_config` (MemoryOS 2.0.30 memos/api/config.py L770-797) always
passes `host=os.getenv("QDRANT_HOST", "localhost")` and `port` next to `path=QDRANT_PATH`, and
`QdrantVecDB.__init__` (memos/vec_dbs/qdrant.py L34-57) hands all three to `QdrantClient`, which
refuses more than one of location/url/host/path ("Only one of <location>, <url>, <host> or
<path> should be specified", qdrant_client/qdrant_client.py). A Qdrant server is not installable
here, so this serves the few REST routes MemOS calls at start-up (collection exists / get /
create, payload indexes, and `GET /` for the client's version check) from
`QdrantClient(path=...)`, and logs every request as one JSON line on stdout, with whether the
`api-key` header was the expected one.

Usage: python qdrant_rest_shim.py --port N --path DIR --api-key KEY --version 1.15.3
"""
import argparse
import json
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from qdrant_client import QdrantClient, models


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--version", required=True)
    args = parser.parse_args()
    local = QdrantClient(path=args.path)

    def ok(result):
        return 200, {"result": result, "status": "ok", "time": 0.0}

    def route(method: str, path: str, body):
        if method == "GET" and path == "/":
            return 200, {"title": "qdrant - vector search engine", "version": args.version}
        if method == "GET" and path == "/collections":
            return ok(local.get_collections().model_dump(mode="json"))
        m = re.fullmatch(r"/collections/([^/]+)(/exists|/index)?", path)
        if not m:
            return 404, {"status": {"error": f"not served by the shim: {method} {path}"}}
        name, tail = m.group(1), m.group(2)
        if method == "GET" and tail == "/exists":
            return ok({"exists": local.collection_exists(name)})
        if method == "GET" and tail is None:
            if not local.collection_exists(name):
                return 404, {"status": {"error": f"Collection `{name}` doesn't exist!"}}
            return ok(local.get_collection(name).model_dump(mode="json"))
        if method == "PUT" and tail is None:
            create = models.CreateCollection.model_validate(body)
            return ok(local.create_collection(name, vectors_config=create.vectors))
        if method == "PUT" and tail == "/index":
            index = models.CreateFieldIndex.model_validate(body)
            result = local.create_payload_index(name, index.field_name, index.field_schema)
            return ok(result.model_dump(mode="json"))
        return 404, {"status": {"error": f"not served by the shim: {method} {path}"}}

    class Handler(BaseHTTPRequestHandler):
        def _serve(self, method: str) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            path = self.path.split("?", 1)[0]
            try:
                status, payload = route(method, path, body)
            except Exception as err:  # reported to the client and in the log
                status, payload = 500, {"status": {"error": repr(err)}}
            print(json.dumps({"method": method, "path": path, "status": status, "body": body,
                              "apiKeyOk": self.headers.get("api-key") == args.api_key}), flush=True)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802
            self._serve("GET")

        def do_PUT(self):  # noqa: N802
            self._serve("PUT")

        def do_POST(self):  # noqa: N802
            self._serve("POST")

        def log_message(self, *_):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(json.dumps({"listening": args.port}), flush=True)
    try:
        server.serve_forever()
    finally:
        local.close()


if __name__ == "__main__":
    sys.exit(main())
