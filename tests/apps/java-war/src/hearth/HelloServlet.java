// A servlet web app (Jakarta Servlet, a war on the java buildpack's Tomcat): GET / says hello
// with the instance index from VCAP_APPLICATION (mapped by annotation).
package hearth;

import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

@WebServlet(urlPatterns = {""})
public final class HelloServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    private static String instanceIndex() {
        String app = System.getenv().getOrDefault("VCAP_APPLICATION", "{}");
        Matcher m = Pattern.compile("\"instance_index\"\\s*:\\s*(\\d+)").matcher(app);
        return m.find() ? m.group(1) : "None";
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.setContentType("text/plain");
        resp.setCharacterEncoding("UTF-8");
        resp.getWriter().print("hello from java-war, index " + instanceIndex() + "\n");
    }
}
