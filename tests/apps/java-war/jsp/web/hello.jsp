<%@ page contentType="text/plain" %><%@ taglib uri="urn:hearth:tags" prefix="h" %>jsp says <%= 6 * 7 %>, <h:hi/>
