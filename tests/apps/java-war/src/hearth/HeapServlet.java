// GET /heap: the JVM's maximum heap in MiB (what -Xmx gave it); mapped in WEB-INF/web.xml.
package hearth;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

public final class HeapServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.setContentType("text/plain");
        resp.getWriter().print((Runtime.getRuntime().maxMemory() / (1024 * 1024)) + "\n");
    }
}
