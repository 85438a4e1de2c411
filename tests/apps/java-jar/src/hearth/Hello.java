// An executable-jar web app (JDK only): GET / says hello with the instance index, GET /heap
// answers the JVM's maximum heap in MiB (what -Xmx gave it). Listens on $PORT.
package hearth;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public final class Hello {
    private Hello() {}

    private static String instanceIndex() {
        String app = System.getenv().getOrDefault("VCAP_APPLICATION", "{}");
        Matcher m = Pattern.compile("\"instance_index\"\\s*:\\s*(\\d+)").matcher(app);
        return m.find() ? m.group(1) : "None";
    }

    private static void answer(HttpExchange ex, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain");
        ex.sendResponseHeaders(200, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
        String index = instanceIndex();
        HttpServer server = HttpServer.create(new InetSocketAddress("0.0.0.0", port), 64);
        server.createContext("/heap", ex -> answer(ex,
                (Runtime.getRuntime().maxMemory() / (1024 * 1024)) + "\n"));
        server.createContext("/", ex -> answer(ex, "hello from java, index " + index + "\n"));
        server.start();
    }
}
