-- wrk script: PUT /resources with the body in the file named by env BODY_FILE.
local f = io.open(os.getenv("BODY_FILE"), "r")
wrk.method = "PUT"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "bearer " .. os.getenv("TOKEN")
