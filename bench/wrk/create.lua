-- POST a valid text2video create (the body, from the spec's named example, is written by http_bench.py).
-- Each request comes from another account (sk-bench-1, sk-bench-2, ...), so the mock's default
-- concurrency limit of 5 tasks per account holds without being hit.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local file = io.open(os.getenv("KLING_BENCH_BODY"), "r")
wrk.body = file:read("*a")
file:close()
local counter = 0

request = function()
  counter = counter + 1
  wrk.headers["Authorization"] = "Bearer sk-bench-" .. counter
  return wrk.format()
end
