// HearthWarLauncher DOCBASE: serves the web application at DOCBASE (an exploded war) as the
// root context "" on Debian's embedded Tomcat, on $VCAP_APP_HOST (default 0.0.0.0):$PORT.
// The java buildpack compiles it at staging time against tomcat10-embed-core.jar.
//
// - Base dir: $TMPDIR/tomcat-$PORT (the instance's tmp), no shutdown port, logs on stdout.
// - Fast start: jars are not scanned (neither the class path nor manifests; WEB-INF/lib jars
//   only for the TLDs of their tag libraries, which happens only when JSP is on): no web
//   fragments and no annotations in jars. -Dhearth.war.scanJars=true scans as Tomcat does.
//   web.xml and the classes in WEB-INF/classes are read as usual, and ServletContainerInitializers
//   of WEB-INF/lib jars (META-INF/services) are found.
// - JSP only when Jasper is on the classpath (the buildpack adds it when the war has JSPs);
//   otherwise the defaults are the DefaultServlet, welcome files and MIME types.
// - Injection annotations (@Resource, @PostConstruct...) need the Jakarta Annotations API,
//   which Debian does not ship: without it on the classpath they are ignored (@WebServlet,
//   @WebFilter and @WebListener still work).
// - The port is bound once the application has started: an application that fails to start
//   exits with status 1 ("hearth-war: the web application at ... failed to start") and never
//   listens.
// - SIGTERM stops Tomcat before the JVM exits (the application's contextDestroyed runs).
// - When DOCBASE is the app's own directory (an exploded war pushed as is), /.hearth (this
//   launcher) is never served.

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Instant;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import jakarta.servlet.ServletException;
import org.apache.catalina.Context;
import org.apache.catalina.Lifecycle;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.Wrapper;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.core.StandardContext;
import org.apache.catalina.startup.Constants;
import org.apache.catalina.startup.ContextConfig;
import org.apache.catalina.startup.Tomcat;
import org.apache.catalina.valves.ValveBase;
import org.apache.tomcat.JarScanType;
import org.apache.tomcat.util.scan.StandardJarScanner;

public final class HearthWarLauncher {
    private HearthWarLauncher() {}

    /** One line a record on stdout: time, level, logger, message (and the stack trace). */
    private static final class StdoutHandler extends Handler {
        private final PrintStream out = System.out;

        @Override
        public void publish(LogRecord r) {
            if (!isLoggable(r))
                return;
            StringBuilder b = new StringBuilder();
            b.append(Instant.ofEpochMilli(r.getMillis())).append(' ').append(r.getLevel())
                    .append(' ').append(r.getLoggerName()).append(' ');
            Formatter f = getFormatter();
            b.append(f != null ? f.formatMessage(r) : r.getMessage());
            synchronized (out) {
                out.println(b);
                if (r.getThrown() != null)
                    r.getThrown().printStackTrace(out);
                out.flush();
            }
        }

        @Override
        public void flush() {
            out.flush();
        }

        @Override
        public void close() {
            out.flush();
        }
    }

    /** 404 for /.hearth and below (the launcher's own files in an exploded app). */
    private static final class HideHearth extends ValveBase {
        HideHearth() {
            super(true);
        }

        @Override
        public void invoke(Request req, Response resp) throws IOException, ServletException {
            String p = req.getDecodedRequestURI();
            if (p != null && (p.equals("/.hearth") || p.startsWith("/.hearth/"))) {
                resp.sendError(404);
                return;
            }
            getNext().invoke(req, resp);
        }
    }

    /** Reads web.xml and the @Web* annotations, then turns injection annotations off. */
    private static final class NoInjectionConfig extends ContextConfig {
        @Override
        protected void webConfig() {
            super.webConfig();
            context.setIgnoreAnnotations(true);
        }
    }

    private static void logToStdout() {
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers())
            root.removeHandler(h);
        Handler h = new StdoutHandler();
        h.setFormatter(new java.util.logging.SimpleFormatter());
        h.setLevel(Level.ALL);
        root.addHandler(h);
        root.setLevel(Level.INFO);
    }

    private static boolean hasClass(String name) {
        try {
            Class.forName(name, false, HearthWarLauncher.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    /** What Tomcat's default web.xml gives an application, without the JSP servlet. */
    private static void webappDefaults(Context ctx) {
        Wrapper def =
                Tomcat.addServlet(ctx, "default", "org.apache.catalina.servlets.DefaultServlet");
        def.setLoadOnStartup(1);
        def.setOverridable(true);
        ctx.addServletMapping("/", "default");
        ctx.setSessionTimeout(30);
        ctx.addWelcomeFile("index.html");
        ctx.addWelcomeFile("index.htm");
        Tomcat.addDefaultMimeTypeMappings(ctx);
    }

    private static int fail(String what) {
        System.out.println("hearth-war: " + what);
        System.out.flush();
        return 1;
    }

    private static int run(String[] args) throws LifecycleException {
        if (args.length != 1)
            return fail("usage: HearthWarLauncher DOCBASE");
        File docBase = new File(args[0]).getAbsoluteFile().toPath().normalize().toFile();
        if (!docBase.isDirectory())
            return fail("no web application at " + docBase);
        int port;
        try {
            port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
        } catch (NumberFormatException e) {
            return fail("PORT is not a number: " + System.getenv("PORT"));
        }
        String host = System.getenv().getOrDefault("VCAP_APP_HOST", "");
        if (host.isEmpty())
            host = "0.0.0.0";
        String tmp = System.getenv("TMPDIR");
        if (tmp == null || tmp.isEmpty())
            tmp = System.getProperty("java.io.tmpdir");
        File base = new File(tmp, "tomcat-" + port);
        File apps = new File(base, "webapps"); // unused (no deployment), but must exist
        if (!apps.isDirectory() && !apps.mkdirs())
            return fail("cannot create the base directory " + base);

        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(base.getPath());
        tomcat.getServer().setPort(-1); // no shutdown port
        tomcat.getHost().setAppBase(apps.getPath());
        tomcat.getHost().setAutoDeploy(false);

        tomcat.setAddDefaultWebXmlToWebapp(false);
        // Debian ships no Jakarta Annotations API: without it Tomcat cannot process @Resource,
        // @PostConstruct and the like (it fails the application), so they are then ignored.
        boolean injection = hasClass("jakarta.annotation.Resource");
        if (!injection)
            System.out.println("hearth-war: no Jakarta Annotations API on the classpath:"
                    + " @Resource, @PostConstruct and @PreDestroy are not processed");
        ContextConfig config = injection ? new ContextConfig() : new NoInjectionConfig();
        config.setDefaultWebXml(Constants.NoDefaultWebXml);
        Context ctx = tomcat.addWebapp(tomcat.getHost(), "", docBase.getPath(), config);
        if (ctx instanceof StandardContext) {
            // The JVM ends with the application: no redeployment leaks to clear on stop (and
            // no warnings that they cannot be without --add-opens).
            StandardContext sc = (StandardContext) ctx;
            sc.setClearReferencesObjectStreamClassCaches(false);
            sc.setClearReferencesRmiTargets(false);
            sc.setClearReferencesThreadLocals(false);
        }
        boolean jsp = hasClass("org.apache.jasper.servlet.JspServlet");
        ctx.addLifecycleListener(ev -> {
            if (Lifecycle.BEFORE_START_EVENT.equals(ev.getType())) {
                if (jsp)
                    Tomcat.initWebappDefaults(ctx);
                else
                    webappDefaults(ctx);
            }
        });
        StandardJarScanner scanner = new StandardJarScanner();
        if (!Boolean.getBoolean("hearth.war.scanJars")) {
            scanner.setScanClassPath(false);
            scanner.setScanManifest(false);
            scanner.setJarScanFilter((type, name) -> type == JarScanType.TLD);
        }
        ctx.setJarScanner(scanner);
        if (new File(docBase, ".hearth").isDirectory())
            ctx.getPipeline().addValve(new HideHearth());

        try {
            tomcat.start();
        } catch (LifecycleException e) { // Tomcat has logged the cause
            return fail("the web application at " + docBase + " failed to start: "
                    + e.getMessage());
        }
        if (!ctx.getState().isAvailable())
            return fail("the web application at " + docBase + " failed to start (see above)");
        // The connector comes last: the port accepts only once the application is up.
        Connector conn = new Connector("HTTP/1.1");
        conn.setPort(port);
        conn.setProperty("address", host);
        try {
            tomcat.getService().addConnector(conn);
        } catch (IllegalArgumentException e) {
            return fail("cannot listen on " + host + ":" + port + ": " + e.getMessage());
        }
        if (!conn.getState().isAvailable())
            return fail("cannot listen on " + host + ":" + port);
        // SIGTERM (an instance being stopped): stop Tomcat, so in-flight requests finish and
        // the application's contextDestroyed listeners run, as in a standalone Tomcat.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                tomcat.stop();
                tomcat.destroy();
            } catch (LifecycleException e) {
                e.printStackTrace(System.out);
            }
        }, "hearth-war-stop"));
        System.out.println("hearth-war: serving " + docBase + " on " + host + ":" + port
                + (jsp ? " (JSP on)" : ""));
        System.out.flush();
        tomcat.getServer().await();
        return 0;
    }

    public static void main(String[] args) throws Exception {
        logToStdout();
        int rc = run(args);
        if (rc != 0)
            System.exit(rc);
    }
}
