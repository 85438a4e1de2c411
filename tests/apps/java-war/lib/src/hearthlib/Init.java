// A library of the war (WEB-INF/lib/hearthlib.jar): its ServletContainerInitializer, found
// through META-INF/services, adds GET /lib at start-up, as frameworks do.
package hearthlib;

import jakarta.servlet.ServletContainerInitializer;
import jakarta.servlet.ServletContext;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Set;

public final class Init implements ServletContainerInitializer {
    private static final class LibServlet extends HttpServlet {
        private static final long serialVersionUID = 1L;

        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            resp.setContentType("text/plain");
            resp.getWriter().print("hello from a WEB-INF/lib initializer\n");
        }
    }

    @Override
    public void onStartup(Set<Class<?>> classes, ServletContext ctx) {
        ctx.addServlet("lib", new LibServlet()).addMapping("/lib");
    }
}
