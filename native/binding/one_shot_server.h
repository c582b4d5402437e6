// A unix socket server for requests that fit one connection each: the client
// sends its request and shuts its side down, the server answers and closes.
// Served by libuv on the JS thread's loop, without Node's stream and HTTP
// objects: a container runtime execs the CNI plugin for every pod, and on
// this path each request costs its system calls and one call into JS.
#pragma once

#include <napi.h>
#include <uv.h>

#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>

namespace netplumb::binding {

class OneShotServer : public Napi::ObjectWrap<OneShotServer> {
 public:
  static void define(Napi::Env env, Napi::Object exports);
  // (path, maxRequestBytes, requestTimeoutMs, onRequest(id, request: Buffer)); binds and listens at once.
  explicit OneShotServer(const Napi::CallbackInfo& info);
  ~OneShotServer() override;

 private:
  struct Connection {
    OneShotServer* server;
    uint64_t id;
    uv_pipe_t pipe;
    std::string request;
    std::string answer;
    uv_write_t write;
    uint64_t opened;  // the loop's time at accept, ms
    bool dispatched = false;  // handed to JS: closed only once answered (or with the server)
  };

  // (id, answer: string) -> false when that client is gone (it hung up, or the server closed).
  Napi::Value reply(const Napi::CallbackInfo& info);
  // Stops listening and closes connections whose request is not whole yet; requests being handled still get their answer.
  Napi::Value close(const Napi::CallbackInfo& info);
  Napi::Value connections(const Napi::CallbackInfo& info);

  static void on_connection(uv_stream_t* listener, int status);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  // Closes connections whose request is not whole after the timeout, as an HTTP server's request timeout does.
  static void sweep(uv_timer_t* timer);
  void dispatch(Connection* c);
  void drop(Connection* c);
  void stop_listening();
  void drop_all();
  static void free_connection(uv_handle_t* h);

  uv_pipe_t* listener_ = nullptr;
  size_t max_request_ = 0;
  uint64_t request_timeout_ms_ = 0;
  uv_timer_t* sweeper_ = nullptr;
  uint64_t next_id_ = 0;
  std::unordered_map<uint64_t, Connection*> open_;
  Napi::FunctionReference on_request_;
  Napi::AsyncContext* async_ = nullptr;
  // Every read lands here first: libuv asks for a buffer right before each read it delivers.
  std::array<char, 65536> read_buffer_{};
};

}  // namespace netplumb::binding
