# javaapp.sh (sourced by bin/compile and bin/release, in the app's directory): which kind of
# Java app this is.
#   java_jar: the first *.jar with a Main-Class in its manifest (empty when none).
#   java_war: the war to serve: ROOT.war when there is one, else the first *.war; "." for an
#             exploded war (WEB-INF/ at the top); empty when neither.
# An executable jar wins over a war: the app says how it runs.
java_jar() {
    for j in *.jar; do
        [ -f "$j" ] || continue
        unzip -p "$j" META-INF/MANIFEST.MF 2>/dev/null | grep -q '^Main-Class:' && { echo "$j"; return; }
    done
}
java_war() {
    [ -f ROOT.war ] && { echo ROOT.war; return; }
    for w in *.war; do
        [ -f "$w" ] && { echo "$w"; return; }
    done
    [ -d WEB-INF ] && echo .
}
# Where the war's content is served from, relative to the app (what compile explodes it to).
WAR_DOCBASE=.hearth/webapp
# The launcher's classes and the Tomcat jars (the run container sees the host's /usr).
WAR_CLASSES=.hearth/java
TOMCAT_CORE=/usr/share/java/tomcat10-embed-core.jar
TOMCAT_WS=/usr/share/java/tomcat10-embed-websocket.jar
TOMCAT_JSP=/usr/share/java/tomcat10-embed-el.jar:/usr/share/java/tomcat10-embed-jasper.jar
# war_has_jsp DOCBASE: true when the web application has JSP pages (Jasper is then needed).
war_has_jsp() {
    [ -n "$(find "$1" -path "$1/.hearth" -prune -o \( -name '*.jsp' -o -name '*.jspx' \) -print 2>/dev/null | head -1)" ]
}
