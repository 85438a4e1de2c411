// <h:hi/>: a tag of the war's tag library (WEB-INF/lib/hearthtag.jar, META-INF/hearth.tld).
package hearthtag;

import jakarta.servlet.jsp.tagext.SimpleTagSupport;
import java.io.IOException;

public final class Hi extends SimpleTagSupport {
    @Override
    public void doTag() throws IOException {
        getJspContext().getOut().print("and a tag says hi");
    }
}
