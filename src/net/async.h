// Bridges callback-style database completions into Asio coroutines.
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>

namespace stdb::net {

// co_await AwaitCallback<T>(start): calls start(done), where done(T) may be invoked from
// any thread exactly once; resumes the coroutine on its own executor with the value.
// `start` must call done even when it fails to queue the work (with an error value).
template <typename T, typename Start>
boost::asio::awaitable<T> AwaitCallback(Start start) {
  return boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void(T)>(
      [start = std::move(start)](auto handler) mutable {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        start([shared](T value) {
          auto ex = boost::asio::get_associated_executor(*shared);
          boost::asio::post(ex, [shared, value = std::move(value)]() mutable {
            (*shared)(std::move(value));
          });
        });
      },
      boost::asio::use_awaitable);
}

}  // namespace stdb::net
