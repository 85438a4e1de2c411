# A Rack app: GET / says hello with the instance index, GET /env shows PORT and the Rack server.
require "json"

app = JSON.parse(ENV.fetch("VCAP_APPLICATION", "{}"))

run lambda { |env|
  body = if env["PATH_INFO"] == "/env"
           JSON.generate("PORT" => ENV["PORT"], "server" => env["SERVER_SOFTWARE"])
         else
           "hello from rack, index #{app['instance_index']}\n"
         end
  [200, { "content-type" => "text/plain" }, [body]]
}
