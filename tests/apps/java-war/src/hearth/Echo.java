// A WebSocket endpoint (Jakarta WebSocket, found by annotation): each text message comes back
// as "echo: MESSAGE".
package hearth;

import jakarta.websocket.OnMessage;
import jakarta.websocket.server.ServerEndpoint;

@ServerEndpoint("/echo")
public final class Echo {
    @OnMessage
    public String onMessage(String message) {
        return "echo: " + message;
    }
}
