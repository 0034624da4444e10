-- POST a valid text2video create (the body comes from the spec's named example, written by http_bench.py).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench"
local file = io.open(os.getenv("KLING_BENCH_BODY"), "r")
wrk.body = file:read("*a")
file:close()
