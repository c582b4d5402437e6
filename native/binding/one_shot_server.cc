#include "binding/one_shot_server.h"

#include <algorithm>
#include <vector>

namespace netplumb::binding {

namespace {

// Connections past this many are closed as they come: each holds a descriptor until it is answered.
constexpr size_t kMaxOpen = 1024;

}  // namespace

void OneShotServer::define(Napi::Env env, Napi::Object exports) {
  exports.Set("OneShotServer", DefineClass(env, "OneShotServer",
                                           {InstanceMethod("reply", &OneShotServer::reply), InstanceMethod("close", &OneShotServer::close),
                                            InstanceMethod("connections", &OneShotServer::connections)}));
}

OneShotServer::OneShotServer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<OneShotServer>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsString() || !info[1].IsNumber() || !info[2].IsNumber() || !info[3].IsFunction()) {
    Napi::TypeError::New(env, "OneShotServer(path, maxRequestBytes, requestTimeoutMs, onRequest)").ThrowAsJavaScriptException();
    return;
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  max_request_ = static_cast<size_t>(info[1].As<Napi::Number>().Int64Value());
  request_timeout_ms_ = static_cast<uint64_t>(std::max<int64_t>(1, info[2].As<Napi::Number>().Int64Value()));
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  listener_ = new uv_pipe_t;
  uv_pipe_init(loop, listener_, 0);
  listener_->data = this;
  int rc = uv_pipe_bind(listener_, path.c_str());
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(listener_), 128, on_connection);
  if (rc != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(listener_), [](uv_handle_t* h) { delete reinterpret_cast<uv_pipe_t*>(h); });
    listener_ = nullptr;
    Napi::Error e = Napi::Error::New(env, std::string("cannot listen on ") + path + ": " + uv_strerror(rc));
    e.Set("code", Napi::String::New(env, uv_err_name(rc)));
    e.ThrowAsJavaScriptException();
    return;
  }
  sweeper_ = new uv_timer_t;
  uv_timer_init(loop, sweeper_);
  sweeper_->data = this;
  // A connection lives at most twice the timeout before it is whole; the sweep alone keeps no process alive.
  uv_timer_start(sweeper_, sweep, request_timeout_ms_, request_timeout_ms_);
  uv_unref(reinterpret_cast<uv_handle_t*>(sweeper_));
  on_request_ = Napi::Persistent(info[3].As<Napi::Function>());
  async_ = new Napi::AsyncContext(env, "netplumb.OneShotServer");
  Ref();  // stays alive while it listens, even if JS drops it
}

OneShotServer::~OneShotServer() {
  stop_listening();
  drop_all();
  delete async_;
}

void OneShotServer::free_connection(uv_handle_t* h) { delete static_cast<Connection*>(h->data); }

void OneShotServer::on_connection(uv_stream_t* listener, int status) {
  auto* self = static_cast<OneShotServer*>(listener->data);
  if (!self || status < 0) return;
  auto* c = new Connection{self, ++self->next_id_, {}, {}, {}, {}, uv_now(listener->loop), false};
  uv_pipe_init(listener->loop, &c->pipe, 0);
  c->pipe.data = c;
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&c->pipe)) != 0 || self->open_.size() >= kMaxOpen) {
    uv_close(reinterpret_cast<uv_handle_t*>(&c->pipe), free_connection);
    return;
  }
  self->open_.emplace(c->id, c);
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&c->pipe),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        auto& b = static_cast<Connection*>(h->data)->server->read_buffer_;
        *buf = uv_buf_init(b.data(), b.size());
      },
      on_read);
}

void OneShotServer::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* c = static_cast<Connection*>(stream->data);
  OneShotServer* self = c->server;
  if (nread > 0) {
    if (c->request.size() + static_cast<size_t>(nread) > self->max_request_) {
      self->drop(c);  // too large to be a request of ours: the client sees the connection close
      return;
    }
    c->request.append(buf->base, static_cast<size_t>(nread));
    return;
  }
  if (nread == UV_EOF) {
    uv_read_stop(stream);
    c->dispatched = true;
    self->dispatch(c);
  } else if (nread < 0) {
    self->drop(c);
  }
}

void OneShotServer::sweep(uv_timer_t* timer) {
  auto* self = static_cast<OneShotServer*>(timer->data);
  uint64_t now = uv_now(timer->loop);
  std::vector<Connection*> late;
  for (auto& [id, c] : self->open_)
    if (!c->dispatched && now - c->opened >= self->request_timeout_ms_) late.push_back(c);
  for (Connection* c : late) self->drop(c);
}

void OneShotServer::dispatch(Connection* c) {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  Napi::Buffer<char> request = Napi::Buffer<char>::Copy(env, c->request.data(), c->request.size());
  std::string().swap(c->request);
  try {
    // MakeCallback, not Call: the handler's promises settle when it returns, as after any I/O callback.
    on_request_.MakeCallback(Value(), {Napi::Number::New(env, static_cast<double>(c->id)), request}, *async_);
  } catch (const Napi::Error& e) {
    // The handler threw: that is the process's uncaught exception, as it would be from an event.
    napi_fatal_exception(env, e.Value());
  }
}

Napi::Value OneShotServer::reply(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsString()) {
    Napi::TypeError::New(env, "reply(id, answer)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto it = open_.find(static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value()));
  if (it == open_.end()) return Napi::Boolean::New(env, false);
  Connection* c = it->second;
  open_.erase(it);
  c->answer = info[1].As<Napi::String>().Utf8Value();
  // The client reads to the close: written and closed now, not on the loop's next turn, which comes only
  // after whatever the caller does once it has replied (its log line, its events).
  uv_buf_t buf = uv_buf_init(c->answer.data(), c->answer.size());
  int sent = uv_try_write(reinterpret_cast<uv_stream_t*>(&c->pipe), &buf, 1);
  if (sent == static_cast<int>(c->answer.size())) {
    uv_close(reinterpret_cast<uv_handle_t*>(&c->pipe), free_connection);
    return Napi::Boolean::New(env, true);
  }
  if (sent > 0) buf = uv_buf_init(c->answer.data() + sent, c->answer.size() - static_cast<size_t>(sent));
  c->write.data = c;
  int rc = uv_write(&c->write, reinterpret_cast<uv_stream_t*>(&c->pipe), &buf, 1, [](uv_write_t* w, int) {
    auto* conn = static_cast<Connection*>(w->data);
    uv_close(reinterpret_cast<uv_handle_t*>(&conn->pipe), free_connection);
  });
  if (rc != 0) uv_close(reinterpret_cast<uv_handle_t*>(&c->pipe), free_connection);
  return Napi::Boolean::New(env, rc == 0);
}

void OneShotServer::drop(Connection* c) {
  open_.erase(c->id);
  uv_close(reinterpret_cast<uv_handle_t*>(&c->pipe), free_connection);
}

void OneShotServer::stop_listening() {
  if (!listener_) return;
  listener_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(listener_), [](uv_handle_t* h) { delete reinterpret_cast<uv_pipe_t*>(h); });
  listener_ = nullptr;
  uv_timer_stop(sweeper_);
  uv_close(reinterpret_cast<uv_handle_t*>(sweeper_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  sweeper_ = nullptr;
}

void OneShotServer::drop_all() {
  while (!open_.empty()) drop(open_.begin()->second);
}

Napi::Value OneShotServer::close(const Napi::CallbackInfo& info) {
  if (listener_) {
    stop_listening();
    for (auto it = open_.begin(); it != open_.end();) {
      Connection* c = (it++)->second;
      if (!c->dispatched) drop(c);
    }
    // JS holds the object for as long as it still answers requests.
    Unref();
  }
  return info.Env().Undefined();
}

Napi::Value OneShotServer::connections(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(open_.size())); }

}  // namespace netplumb::binding
