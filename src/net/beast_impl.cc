// Boost.Beast and Boost.Asio are compiled once, here, instead of in every translation
// unit that includes them (BOOST_BEAST_SEPARATE_COMPILATION, BOOST_ASIO_SEPARATE_COMPILATION),
// which keeps rebuilds of the rest of the tree fast.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
