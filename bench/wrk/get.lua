-- GET with the bench token; the URL given to wrk names the task or the page.
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer sk-bench"
