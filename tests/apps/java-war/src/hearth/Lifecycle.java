// A context listener (found by annotation): when the application is stopped it leaves
// $TMPDIR/java-war.destroyed, so a test can see that the container stopped it cleanly.
package hearth;

import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.annotation.WebListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

@WebListener
public final class Lifecycle implements ServletContextListener {
    @Override
    public void contextDestroyed(ServletContextEvent ev) {
        String tmp = System.getenv().getOrDefault("TMPDIR", "/tmp");
        try {
            Files.writeString(Path.of(tmp, "java-war.destroyed"), "destroyed\n");
        } catch (IOException e) {
            ev.getServletContext().log("cannot write " + tmp + "/java-war.destroyed", e);
        }
    }
}
